"""The case page's actions: each reads the posted form and calls one service entry point.
Returns what to tell the user; raises CaseActionError (or the service's error) to refuse."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model

from cspbilling.cases.models import Case
from cspbilling.cases.selectors import get_case
from cspbilling.cases.services import (
    do_add_note,
    do_assign_case,
    do_change_priority,
    do_close_case_as,
    do_identify_customer,
    do_recategorize_case,
    do_reply_to_case,
    do_resolve_case,
)


class CaseActionError(ValueError):
    pass


def _reply(*, case: Case, data, user) -> str:
    do_reply_to_case(
        case=case,
        body=data.get("body", ""),
        actor=user.username,
        wait_on_customer=bool(data.get("wait_on_customer")),
    )
    return "Reply sent to the customer."


def _note(*, case: Case, data, user) -> str:
    do_add_note(case=case, body=data.get("body", ""), actor=user.username)
    return "Internal note added."


def _assign(*, case: Case, data, user) -> str:
    username = data.get("assignee") or ""
    assignee = None
    if username:
        assignee = get_user_model().objects.filter(username=username).first()
        if assignee is None:
            raise CaseActionError(f"no user {username!r}")
    do_assign_case(case=case, assignee=assignee, actor=user.username)
    return f"Assigned to {username}." if username else "Unassigned."


def _priority(*, case: Case, data, user) -> str:
    do_change_priority(case=case, priority=data.get("priority", ""), actor=user.username)
    return "Priority changed; SLA targets recomputed."


def _category(*, case: Case, data, user) -> str:
    from decimal import Decimal, InvalidOperation

    from cspbilling.invoicing.models import Invoice

    invoice, amount = None, None
    if data.get("category") == "dispute":
        invoice = Invoice.objects.filter(
            number=(data.get("invoice") or "").strip(), customer=case.customer_id
        ).first()
        if invoice is None:
            raise CaseActionError("name one of the customer's issued invoices")
        try:
            amount = Decimal((data.get("amount") or "").replace(",", ""))
        except InvalidOperation:
            raise CaseActionError("the disputed amount is not a number") from None
    do_recategorize_case(
        case=case,
        category=data.get("category", ""),
        actor=user.username,
        disputed_invoice=invoice,
        disputed_amount=amount,
    )
    return "Category changed."


def _resolve(*, case: Case, data, user) -> str:
    credit_note = None
    number = (data.get("credit_note") or "").strip()
    if number:
        from cspbilling.invoicing.models import CreditNote

        credit_note = CreditNote.objects.filter(number=number).first()
        if credit_note is None:
            raise CaseActionError(f"no credit note {number}")
    do_resolve_case(
        case=case,
        resolution=data.get("body", ""),
        actor=user.username,
        outcome=data.get("outcome", ""),
        credit_note=credit_note,
    )
    return "Resolved: the resolution was sent to the customer."


def _close(*, case: Case, data, user) -> str:
    into_ref = (data.get("into") or "").strip().upper()
    into = get_case(reference=into_ref) if into_ref else None
    do_close_case_as(case=case, reason=data.get("reason", ""), into=into, actor=user.username)
    return "Closed; the customer was told why."


def _identify(*, case: Case, data, user) -> str:
    from cspbilling.customers.selectors import get_customer

    customer = get_customer(tenant_id=(data.get("tenant_id") or "").strip())
    do_identify_customer(case=case, customer=customer, actor=user.username)
    return f"The case belongs to {customer}."


ACTIONS: dict[str, Callable[..., str]] = {
    "reply": _reply,
    "note": _note,
    "assign": _assign,
    "priority": _priority,
    "category": _category,
    "resolve": _resolve,
    "close": _close,
    "identify": _identify,
}
