"""What other apps do when an invoice or a credit note is issued, inside the same transaction
(payments writes its ledger and applies customer credit). Invoicing never imports them: they
register here when they start."""

from __future__ import annotations

from collections.abc import Callable

from cspbilling.invoicing.models import CreditNote, Invoice

InvoiceHook = Callable[[Invoice, str], None]
CreditNoteHook = Callable[[CreditNote, str], None]

_invoice_hooks: list[InvoiceHook] = []
_credit_note_hooks: list[CreditNoteHook] = []


def on_invoice_issued(hook: InvoiceHook) -> None:
    if hook not in _invoice_hooks:
        _invoice_hooks.append(hook)


def on_credit_note_issued(hook: CreditNoteHook) -> None:
    if hook not in _credit_note_hooks:
        _credit_note_hooks.append(hook)


def invoice_issued(invoice: Invoice, actor: str) -> None:
    for hook in _invoice_hooks:
        hook(invoice, actor)


def credit_note_issued(note: CreditNote, actor: str) -> None:
    for hook in _credit_note_hooks:
        hook(note, actor)


# The collections line an invoice prints (collections provides it: the customer's policy
# version and the day access is impacted); None from the provider keeps the default line.
PolicyLine = Callable[[object], str | None]
_policy_line: list[PolicyLine] = []


def provide_policy_line(provider: PolicyLine) -> None:
    _policy_line[:] = [provider]


def policy_line(customer) -> str | None:
    return _policy_line[0](customer) if _policy_line else None


# A settled or held upstream line followed a re-issue of its invoice (its line got a new id):
# the apps that name the old id follow it too (escalations: its matched or flagged credit line).
LineReplacedHook = Callable[[int, int, str], None]  # (old line id, new line id, actor)
_line_replaced_hooks: list[LineReplacedHook] = []


def on_upstream_line_replaced(hook: LineReplacedHook) -> None:
    if hook not in _line_replaced_hooks:
        _line_replaced_hooks.append(hook)


def upstream_line_replaced(old_id: int, new_id: int, actor: str) -> None:
    for hook in _line_replaced_hooks:
        hook(old_id, new_id, actor)
