"""Escalations to 21Vianet: staff read (support, finance and admins escalate, file and record
answers; finance and admins record 21Vianet's decision). Portal tokens have no access: the
customer reads about its escalation on its case."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, SUPPORT_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.escalations import (
    EscalationAnswerIn,
    EscalationIn,
    EscalationOut,
    EscalationOutcomeIn,
    EscalationPage,
    EscalationTicketIn,
    EscalationWithdrawIn,
    FlaggedCreditAcceptIn,
    FlaggedCreditRejectIn,
)
from cspbilling.cases.models import Case
from cspbilling.core.transitions import TransitionError
from cspbilling.customers.models import Customer
from cspbilling.escalations import selectors
from cspbilling.escalations.models import Escalation
from cspbilling.escalations.services import (
    AlreadyEscalated,
    EscalationError,
    do_accept_larger_credit,
    do_escalate_case,
    do_record_rejected,
    do_record_ticket_number,
    do_record_upheld,
    do_record_upstream_answer,
    do_reject_credit_line,
    do_withdraw_escalation,
)

router = Router(tags=["escalations"])
REFUSED = (EscalationError, TransitionError)


def _staff(request: HttpRequest, roles=READ_ROLES) -> None:
    if is_portal(request):
        raise HttpError(403, "escalations are staff's")
    require_roles(request, roles)


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _summary(e: Escalation) -> dict[str, Any]:
    numbers = [link.credit_note.number for link in e.credit_notes.all()]
    return {
        "reference": e.reference,
        "case_reference": e.case.reference,
        "customer_tenant_id": e.customer.tenant_id,
        "channel": e.channel,
        "status": e.status,
        "cause": e.cause,
        "severity": e.severity,
        "ticket_number": e.ticket_number,
        "upstream_status": e.upstream_status,
        "disputed_amount": _money(e.disputed_amount),
        "currency": e.currency,
        "promised_credit": _money(e.promised_credit),
        "credit_received_at": e.credit_received_at,
        "credit_received": _money(e.credit_received),
        "credit_short": _money(e.credit_short),
        "shortfall_credit_line_id": e.shortfall_credit_line_id,
        "oversized_credit_line_id": e.oversized_credit_line_id,
        "flagged_credit": e.flagged_credit if e.oversized_credit_line_id else "",
        "credit_billed_invoice_number": (
            e.credit_billed_invoice.number if e.credit_billed_invoice_id else None
        ),
        "credit_billed": _money(e.credit_billed),
        "credited_twice": _money(e.credited_twice),
        "credit_note_number": numbers[0] if numbers else None,
        "credit_note_numbers": numbers,
        "last_answer_at": e.last_answer_at,
        "next_reminder_at": e.next_reminder_at,
        "created_at": e.created_at,
        "closed_at": e.closed_at,
    }


def _out(reference: str) -> dict[str, Any]:
    e = selectors.get_escalation(reference=reference)
    return {
        **_summary(e),
        "title": e.title,
        "description": e.description,
        "upstream_line_ids": list(e.lines.values_list("upstream_line_id", flat=True)),
        "lines_csv": e.lines_csv,
        "flagged_credit_held": selectors.flagged_line_held(e),
        "rejected_credit_lines": [
            {"upstream_line_id": r.upstream_line_id, "reason": r.reason}
            for r in e.rejected_credit_lines.all()
        ],
    }


@router.get("/escalations", response={200: EscalationPage, **ERRORS})
def list_escalations(
    request: HttpRequest,
    status: str = "",
    customer_tenant_id: UUID | None = None,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Newest first; `status=open` for those not closed; a customer's history by tenant id."""
    _staff(request)
    customer = None
    if customer_tenant_id:
        customer = get_object_or_404(Customer, tenant_id=customer_tenant_id)
    qs = selectors.escalations(status=status, customer=customer).prefetch_related(
        selectors.credit_notes_prefetch()
    )
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_summary(e) for e in qs[offset : offset + limit]],
    }


@router.get("/escalations/{reference}", response={200: EscalationOut, **ERRORS})
def get_escalation(request: HttpRequest, reference: str):
    _staff(request)
    return _out(reference)


@router.post("/cases/{reference}/escalations", response={201: EscalationOut, **WRITE_ERRORS})
def escalate_case(request: HttpRequest, reference: str, payload: EscalationIn):
    """Escalate the case: the request is prepared (409 naming the first escalation when a
    disputed line is escalated already)."""
    _staff(request, SUPPORT_ROLES)
    case = get_object_or_404(Case, reference=reference)
    try:
        escalation = do_escalate_case(
            case=case,
            actor=actor(request),
            cause=payload.cause,
            severity=payload.severity,
            upstream_line_ids=payload.upstream_line_ids or None,
            checked=payload.checked,
            asked=payload.asked,
        )
    except AlreadyEscalated as exc:
        raise HttpError(409, str(exc)) from None
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(escalation.reference))


@router.post("/escalations/{reference}/ticket", response={200: EscalationOut, **WRITE_ERRORS})
def record_ticket(request: HttpRequest, reference: str, payload: EscalationTicketIn):
    """Portal mode: the ticket number 21Vianet gave the request filed in its portal."""
    _staff(request, SUPPORT_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        do_record_ticket_number(
            escalation=escalation, ticket_number=payload.ticket_number, actor=actor(request)
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(reference)


@router.post("/escalations/{reference}/answers", response={201: EscalationOut, **WRITE_ERRORS})
def record_answer(request: HttpRequest, reference: str, payload: EscalationAnswerIn):
    """What 21Vianet answered: an internal note on the case."""
    _staff(request, SUPPORT_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        do_record_upstream_answer(
            escalation=escalation,
            text=payload.text,
            actor=actor(request),
            requests_information=payload.requests_information,
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(reference))


@router.post("/escalations/{reference}/withdraw", response={200: EscalationOut, **WRITE_ERRORS})
def withdraw_escalation(request: HttpRequest, reference: str, payload: EscalationWithdrawIn):
    """We no longer ask 21Vianet (support, finance, admins): the escalation's hold is lifted and
    the case is open again. Portal mode: withdraw the ticket in the 21Vianet portal too; api
    mode: a note asking 21Vianet to close it goes out through the outbox."""
    _staff(request, SUPPORT_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        do_withdraw_escalation(escalation=escalation, reason=payload.reason, actor=actor(request))
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(reference)


@router.post("/escalations/{reference}/outcome", response={200: EscalationOut, **WRITE_ERRORS})
def record_outcome(request: HttpRequest, reference: str, payload: EscalationOutcomeIn):
    """21Vianet's decision (finance and admins): upheld with the credit promised, or rejected
    with the reason the customer reads."""
    _staff(request, MONEY_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        if payload.outcome == "upheld":
            if payload.promised_credit is None:
                raise HttpError(409, "an upheld dispute names the credit promised")
            do_record_upheld(
                escalation=escalation,
                promised_credit=Decimal(payload.promised_credit),
                actor=actor(request),
                note=payload.reason,
            )
        else:
            do_record_rejected(escalation=escalation, reason=payload.reason, actor=actor(request))
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(reference)


@router.post(
    "/escalations/{reference}/flagged-credit/accept",
    response={200: EscalationOut, **WRITE_ERRORS},
)
def accept_flagged_credit(request: HttpRequest, reference: str, payload: FlaggedCreditAcceptIn):
    """Finance checked the credit line flagged for the escalation with 21Vianet: it is its
    credit. Matched (or taken as the rest of a short one): the customer is credited at most what
    was promised, once, and the line settled outside billing. 409 if that line is not the one
    flagged."""
    _staff(request, MONEY_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        do_accept_larger_credit(
            escalation=escalation,
            actor=actor(request),
            upstream_line_id=payload.upstream_line_id,
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(reference)


@router.post(
    "/escalations/{reference}/flagged-credit/reject",
    response={200: EscalationOut, **WRITE_ERRORS},
)
def reject_flagged_credit(request: HttpRequest, reference: str, payload: FlaggedCreditRejectIn):
    """Finance checked the credit line flagged for the escalation with 21Vianet: it is not its
    credit (the reason, staff read it). Released to ordinary billing (the next billing run bills
    it); the escalation keeps waiting for its credit. 409 if that line is not the one flagged."""
    _staff(request, MONEY_ROLES)
    escalation = selectors.get_escalation(reference=reference)
    try:
        do_reject_credit_line(
            escalation=escalation,
            upstream_line_id=payload.upstream_line_id,
            reason=payload.reason,
            actor=actor(request),
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(reference)
