"""ISO 20022 bank-to-customer statements (camt.053): each booked entry with its amount, the
debtor's name and account, the remittance text and the bank's reference. Read with defusedxml
(no entity expansion, no external entities)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from defusedxml import ElementTree

from cspbilling.payments.statements.lines import ReadLine, StatementError, one_line, parse_day


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element, *path: str):
    """The first descendant along these local names (namespaces vary by version)."""
    current = [element]
    for name in path:
        current = [child for node in current for child in node if _local(child.tag) == name]
        if not current:
            return None
    return current[0]


def _text(element, *path: str) -> str:
    found = _find(element, *path)
    return (found.text or "").strip() if found is not None else ""


def read_camt(path: Path) -> list[ReadLine]:
    try:
        root = ElementTree.parse(path).getroot()
    except Exception as exc:  # noqa: BLE001 (defusedxml's and expat's errors alike)
        raise StatementError(f"not a readable camt.053 XML file: {exc}") from None
    if not any(_local(el.tag) == "BkToCstmrStmt" for el in root.iter()):
        raise StatementError("not a camt.053 statement (no BkToCstmrStmt element)")
    lines = []
    entries = [el for el in root.iter() if _local(el.tag) == "Ntry"]
    for n, entry in enumerate(entries, start=1):
        where = f"entry {n}"
        amount_el = _find(entry, "Amt")
        if amount_el is None:
            raise StatementError(f"{where}: no Amt")
        try:
            amount = Decimal((amount_el.text or "").strip())
        except InvalidOperation:
            raise StatementError(f"{where}, Amt: {amount_el.text!r} is not an amount") from None
        if not amount.is_finite() or amount < 0:
            raise StatementError(f"{where}, Amt: {amount_el.text!r} is not an amount")
        sign = _text(entry, "CdtDbtInd")
        if sign not in ("CRDT", "DBIT"):
            raise StatementError(f"{where}, CdtDbtInd: {sign!r} is neither CRDT nor DBIT")
        day = _text(entry, "BookgDt", "Dt") or _text(entry, "BookgDt", "DtTm")
        reference = _text(entry, "AcctSvcrRef") or _text(
            entry, "NtryDtls", "TxDtls", "Refs", "AcctSvcrRef"
        )
        if not reference:
            raise StatementError(f"{where}: no AcctSvcrRef (the bank's reference)")
        details = _find(entry, "NtryDtls", "TxDtls")
        party = "Dbtr" if sign == "CRDT" else "Cdtr"
        name = _text(details, "RltdPties", party, "Nm") if details is not None else ""
        if not name and details is not None:
            name = _text(details, "RltdPties", party, "Pty", "Nm")
        account = ""
        if details is not None:
            account = _text(details, "RltdPties", f"{party}Acct", "Id", "IBAN") or _text(
                details, "RltdPties", f"{party}Acct", "Id", "Othr", "Id"
            )
        remittance = " ".join(
            (el.text or "").strip()
            for el in (details.iter() if details is not None else [])
            if _local(el.tag) == "Ustrd"
        ) or _text(entry, "AddtlNtryInf")
        lines.append(
            ReadLine(
                row=n,
                booked_on=parse_day(day, f"{where}, BookgDt"),
                amount=amount if sign == "CRDT" else -amount,
                currency=amount_el.get("Ccy", ""),
                bank_reference=one_line(reference, 140),
                payer_name=one_line(name, 255),
                payer_account=one_line(account, 64),
                remittance=one_line(remittance, 500),
            )
        )
    return lines
