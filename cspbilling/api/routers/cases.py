"""Billing support cases. Staff read every case (support, finance and admins write); a portal
token reads and opens its own customer's cases, never an internal note."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import READ_ROLES, SUPPORT_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.cases import (
    SupportCaseIn,
    SupportCaseMessageIn,
    SupportCaseOut,
    SupportCasePage,
    SupportCaseResolveIn,
)
from cspbilling.cases import selectors
from cspbilling.cases.models import Case, Channel
from cspbilling.cases.services import (
    CaseError,
    do_add_note,
    do_confirm_resolution,
    do_open_case,
    do_record_customer_message,
    do_reopen_case,
    do_reply_to_case,
    do_resolve_case,
)
from cspbilling.core.transitions import TransitionError
from cspbilling.customers.models import Customer

router = Router(tags=["cases"])
REFUSED = (CaseError, TransitionError)


def _summary(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "customer_tenant_id": case.customer.tenant_id if case.customer else None,
        "subject": case.subject,
        "category": case.category,
        "priority": case.priority,
        "status": case.status,
        "assignee": case.assignee.username if case.assignee else None,
        "messages": getattr(case, "message_count", 0),
        "created_at": case.created_at,
        "resolution_due_at": case.resolution_due_at,
    }


def _case(request: HttpRequest, reference: str) -> Case:
    if is_portal(request):
        return selectors.get_case_for_customer(customer=request.auth.customer, reference=reference)
    require_roles(request, READ_ROLES)
    return selectors.get_case(reference=reference)


def _out(request: HttpRequest, case: Case) -> dict[str, Any]:
    if is_portal(request):
        conversation = list(selectors.public_messages(case))
    else:
        conversation = list(case.messages.order_by("created_at", "id"))
    return {
        **_summary(case),
        "messages": len([m for m in conversation if m.is_public]),
        "invoice_ids": list(case.invoices.values_list("pk", flat=True)),
        "invoice_line_ids": list(case.invoice_lines.values_list("pk", flat=True)),
        "dispute_outcome": case.dispute_outcome,
        "satisfaction": case.satisfaction,
        "conversation": conversation,
    }


@router.get("/cases", response={200: SupportCasePage, **ERRORS})
def list_cases(
    request: HttpRequest,
    status: str = "",
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Newest first; a portal token sees its own customer's cases."""
    if is_portal(request):
        qs = selectors.cases_for_customer(customer=request.auth.customer)
    else:
        require_roles(request, READ_ROLES)
        qs = selectors.list_cases().order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_summary(case) for case in qs[offset : offset + limit]],
    }


@router.post("/cases", response={201: SupportCaseOut, **WRITE_ERRORS})
def open_case(request: HttpRequest, payload: SupportCaseIn):
    """Open a case. A portal token opens one for its customer (about its own invoice lines);
    staff name the customer."""
    if is_portal(request):
        customer = request.auth.customer
        author_kind, contact = "customer", request.auth.email or ""
    else:
        require_roles(request, SUPPORT_ROLES)
        customer = Customer.objects.filter(tenant_id=payload.customer_tenant_id).first()
        if customer is None:
            raise HttpError(409, "name the customer by customer_tenant_id")
        author_kind, contact = "staff", ""
    try:
        lines = [
            selectors.invoice_line_for_customer(customer=customer, line_id=pk)
            for pk in payload.invoice_line_ids
        ]
    except Http404:
        raise HttpError(409, "an invoice line is not the customer's") from None
    try:
        case = do_open_case(
            customer=customer,
            subject=payload.subject,
            body=payload.body,
            category=payload.category,
            channel=Channel.API,
            actor=actor(request),
            author_kind=author_kind,
            contact_email=contact,
            invoice_lines=lines,
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(request, selectors.get_case(reference=case.reference)))


@router.get("/cases/{reference}", response={200: SupportCaseOut, **ERRORS})
def get_case(request: HttpRequest, reference: str):
    """The case and its conversation (a portal token: the public messages only)."""
    return _out(request, _case(request, reference))


@router.post("/cases/{reference}/messages", response={201: SupportCaseOut, **WRITE_ERRORS})
def add_message(request: HttpRequest, reference: str, payload: SupportCaseMessageIn):
    """A portal token writes to its case; staff reply (public, emailed) or note (internal)."""
    case = _case(request, reference)
    try:
        if is_portal(request):
            if payload.visibility != "public":
                raise HttpError(403, "customers write public messages")
            do_record_customer_message(
                case=case,
                body=payload.body,
                author=request.auth.email or actor(request),
                channel=Channel.API,
                actor=actor(request),
            )
        else:
            require_roles(request, SUPPORT_ROLES)
            if payload.visibility == "internal":
                do_add_note(case=case, body=payload.body, actor=actor(request))
            else:
                do_reply_to_case(
                    case=case, body=payload.body, actor=actor(request), channel=Channel.API
                )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(request, _case(request, reference)))


@router.post("/cases/{reference}/resolve", response={200: SupportCaseOut, **WRITE_ERRORS})
def resolve_case(request: HttpRequest, reference: str, payload: SupportCaseResolveIn):
    """Staff: resolve with a message the customer reads (emailed with confirm / reopen links)."""
    if is_portal(request):
        raise HttpError(403, "staff resolve cases")
    require_roles(request, SUPPORT_ROLES)
    case = _case(request, reference)
    credit_note = None
    if payload.credit_note_number:
        from cspbilling.invoicing.models import CreditNote

        credit_note = CreditNote.objects.filter(number=payload.credit_note_number).first()
        if credit_note is None:
            raise HttpError(409, f"no credit note {payload.credit_note_number}")
    try:
        do_resolve_case(
            case=case,
            resolution=payload.resolution,
            actor=actor(request),
            outcome=payload.outcome,
            credit_note=credit_note,
            channel=Channel.API,
        )
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(request, _case(request, reference))


@router.post("/cases/{reference}/confirm", response={200: SupportCaseOut, **WRITE_ERRORS})
def confirm_case(request: HttpRequest, reference: str):
    """The customer confirms the resolution: the case closes."""
    case = _case(request, reference)
    if not is_portal(request):
        require_roles(request, SUPPORT_ROLES)
    try:
        do_confirm_resolution(case=case, actor=actor(request), channel=Channel.API)
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(request, _case(request, reference))


@router.post("/cases/{reference}/reopen", response={200: SupportCaseOut, **WRITE_ERRORS})
def reopen_case(request: HttpRequest, reference: str):
    """The resolution did not settle it: the case is open again."""
    case = _case(request, reference)
    if not is_portal(request):
        require_roles(request, SUPPORT_ROLES)
    try:
        do_reopen_case(case=case, actor=actor(request), channel=Channel.API)
    except REFUSED as exc:
        raise HttpError(409, str(exc)) from None
    return _out(request, _case(request, reference))
