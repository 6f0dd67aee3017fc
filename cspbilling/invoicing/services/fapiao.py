"""Fapiao requests and what the tax authority's system issued for them.

We do not issue fapiaos: staff (or an integration, through the API) issue them in the tax
system from the pending requests we export, then record the number and date here. A credit note
on an invoice whose fapiao is issued asks for a red-letter fapiao reversing its amount.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer
from cspbilling.customers.validators import validate_unified_social_credit_code
from cspbilling.invoicing import transitions
from cspbilling.invoicing.fapiao_facts import FAPIAO_NUMBER, buyer_details, fapiao_amounts
from cspbilling.invoicing.locks import lock_fapiao, lock_invoices
from cspbilling.invoicing.models import (
    CreditNote,
    Fapiao,
    FapiaoKind,
    FapiaoStatus,
    Invoice,
    InvoiceStatus,
)


class FapiaoError(ValueError):
    pass


def _facts(fapiao: Fapiao) -> dict:
    net, tax = fapiao_amounts(fapiao)
    currency = fapiao.invoice.currency
    return {
        "invoice": fapiao.invoice.number,
        "kind": fapiao.kind,
        "red_letter_of": fapiao.red_letter_of.number if fapiao.red_letter_of_id else None,
        "credit_note": fapiao.credit_note.number if fapiao.credit_note_id else None,
        "net": str(from_minor_units(net, currency)),
        "tax": str(from_minor_units(tax, currency)),
        "currency": currency,
    }


def _check_buyer(customer: Customer, kind: str) -> None:
    if kind not in FapiaoKind.values:
        raise FapiaoError(f"unknown fapiao kind {kind!r} (general or special)")
    if kind == FapiaoKind.SPECIAL:
        try:
            validate_unified_social_credit_code(customer.tax_id)
        except ValidationError as exc:
            raise FapiaoError(
                f"a special VAT fapiao needs a valid unified social credit code on "
                f"{customer.display_name}: {' '.join(exc.messages)}"
            ) from None


@transaction_step
def request_fapiao(*, invoice: Invoice, kind: str, actor: str) -> Fapiao:
    """Ask for the fapiao of an issued invoice (one per invoice)."""
    [invoice] = lock_invoices([invoice.pk])
    if invoice.status != InvoiceStatus.ISSUED:
        raise FapiaoError(f"{invoice} is not issued yet")
    existing = Fapiao.objects.filter(invoice=invoice, red_letter_of=None).first()
    if existing is not None:
        raise FapiaoError(
            f"{invoice.number} already has its fapiao request ({existing.get_kind_display()}, "
            f"{existing.get_status_display().lower()})"
        )
    _check_buyer(invoice.customer, kind)
    fapiao = Fapiao.objects.create(
        invoice=invoice, kind=kind, buyer=buyer_details(invoice.customer), requested_by=actor
    )
    record_event(
        actor=actor,
        action=AuditAction.FAPIAO_REQUESTED,
        object_type="fapiao",
        object_id=fapiao.pk,
        after=_facts(fapiao),
    )
    return fapiao


def request_fapiao_on_issue(invoice: Invoice, *, actor: str) -> Fapiao | None:
    """The fapiao the customer's settings ask for, requested as the invoice is issued; none when
    they ask for none or the buyer's details cannot carry that kind (staff request it later)."""
    kind = invoice.customer.fapiao_kind
    if not kind:
        return None
    try:
        return request_fapiao(invoice=invoice, kind=kind, actor=actor)
    except FapiaoError:
        return None


@transaction_step
def request_red_letter(*, credit_note: CreditNote, actor: str) -> Fapiao | None:
    """A red-letter fapiao for an issued credit note, when its invoice's fapiao is issued."""
    original = Fapiao.objects.filter(
        invoice_id=credit_note.invoice_id, red_letter_of=None, status=FapiaoStatus.ISSUED
    ).first()
    if original is None:
        return None
    red = Fapiao.objects.create(
        invoice_id=credit_note.invoice_id,
        kind=original.kind,
        red_letter_of=original,
        credit_note=credit_note,
        buyer=original.buyer,
        requested_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.FAPIAO_REQUESTED,
        object_type="fapiao",
        object_id=red.pk,
        after=_facts(red),
    )
    return red


def _check_number(number: str, fapiao: Fapiao) -> str:
    number = (number or "").strip()
    if not FAPIAO_NUMBER.match(number):
        raise FapiaoError(
            f"{number!r} is not a fapiao number: a fully digitalised e-fapiao has 20 digits"
        )
    taken = Fapiao.objects.filter(number=number).exclude(pk=fapiao.pk).first()
    if taken is not None:
        raise FapiaoError(f"fapiao {number} is already recorded for {taken.invoice.number}")
    return number


def _check_date(on: dt.date, fapiao: Fapiao) -> None:
    earliest = fapiao.credit_note.issued_on if fapiao.credit_note_id else fapiao.invoice.issued_on
    if on > timezone.localdate():
        raise FapiaoError(f"{on} is in the future")
    if earliest and on < earliest:
        raise FapiaoError(f"{on} is before the document it is for ({earliest})")


@transaction_step
def record_fapiao_issued(*, fapiao: Fapiao, number: str, issued_on: dt.date, actor: str) -> Fapiao:
    """What the tax system issued for a request: its number and date, and the amounts as they
    stand. The last red-letter fapiao reversing an original red-letters it."""
    locked = lock_fapiao(fapiao.pk)
    number = _check_number(number, locked)
    _check_date(issued_on, locked)
    net, tax = fapiao_amounts(locked)
    if not locked.is_red_letter and net + tax <= 0:
        raise FapiaoError(f"{locked.invoice.number} is credited in full: no fapiao is due")
    transitions.record_fapiao_issued(locked, number=number, on=issued_on)
    locked.net_minor, locked.tax_minor = net, tax
    locked.save(update_fields=["status", "number", "issued_on", "net_minor", "tax_minor"])
    record_event(
        actor=actor,
        action=AuditAction.FAPIAO_ISSUED,
        object_type="fapiao",
        object_id=number,
        before={"status": FapiaoStatus.REQUESTED},
        after={**_facts(locked), "issued_on": issued_on.isoformat()},
    )
    if locked.is_red_letter:
        _red_letter_when_reversed(locked.red_letter_of_id, actor=actor)
    fapiao.__dict__.update({k: getattr(locked, k) for k in ("status", "number", "issued_on")})
    return locked


def _red_letter_when_reversed(original_pk: int, *, actor: str) -> None:
    original = lock_fapiao(original_pk)
    reversed_ = original.red_letters.filter(status=FapiaoStatus.ISSUED).aggregate(
        net=Sum("net_minor"), tax=Sum("tax_minor")
    )
    if (
        original.net_minor + (reversed_["net"] or 0) + original.tax_minor + (reversed_["tax"] or 0)
        > 0
    ):
        return
    transitions.red_letter(original)
    original.save(update_fields=["status"])
    record_event(
        actor=actor,
        action=AuditAction.FAPIAO_RED_LETTERED,
        object_type="fapiao",
        object_id=original.number,
        before={"status": FapiaoStatus.ISSUED},
        after={"status": FapiaoStatus.RED_LETTERED, "invoice": original.invoice.number},
    )


do_request_fapiao = entry_point(request_fapiao)
do_record_fapiao_issued = entry_point(record_fapiao_issued)
