"""Credit notes and fapiaos. Staff read them all; a portal token reads only its customer's
issued credit notes (404 for any other). Finance and administrators credit, issue, discard,
request fapiaos and record what the tax system issued."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES
from cspbilling.api.common import ERRORS, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.credit_notes import (
    CreditNoteIn,
    CreditNoteLineOut,
    CreditNoteOut,
    CreditNotePage,
    DiscardIn,
    FapiaoIssuedIn,
    FapiaoOut,
    FapiaoRequestIn,
)
from cspbilling.core.money import from_minor_units
from cspbilling.invoicing import selectors
from cspbilling.invoicing.credits import CreditError
from cspbilling.invoicing.models import CreditNote, Fapiao
from cspbilling.invoicing.pdf.render import render_credit_note_pdf
from cspbilling.invoicing.services import (
    FapiaoError,
    do_credit_invoice,
    do_discard_credit_note,
    do_draft_credit_note,
    do_issue_credit_note,
    do_record_fapiao_issued,
    do_request_fapiao,
)
from cspbilling.invoicing.transitions import TransitionError

router = Router(tags=["credit notes"])


def _visible(request: HttpRequest):
    if is_portal(request):
        return selectors.issued_credit_notes_for_customer(customer=request.auth.customer)
    require_roles(request, READ_ROLES)
    return selectors.credit_notes()


def _credit_note(request: HttpRequest, credit_note_id: int) -> CreditNote:
    note = _visible(request).filter(pk=credit_note_id).first()
    if note is None:
        raise Http404("no such credit note")
    return note


def _out(note: CreditNote) -> dict[str, Any]:
    return {**selectors.credit_note_row(note), "customer_tenant_id": note.customer.tenant_id}


@router.get("/credit-notes", response={200: CreditNotePage, **ERRORS})
def list_credit_notes(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    status: Literal["draft", "issued", "discarded"] | None = Query(None),
    invoice_id: int | None = Query(None),
):
    """Newest first."""
    qs = _visible(request)
    if status:
        qs = qs.filter(status=status)
    if invoice_id is not None:
        qs = qs.filter(invoice_id=invoice_id)
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": [_out(note) for note in qs[offset : offset + limit]],
    }


@router.get("/credit-notes/{credit_note_id}", response={200: CreditNoteOut, **ERRORS})
def get_credit_note(request: HttpRequest, credit_note_id: int):
    return _out(_credit_note(request, credit_note_id))


@router.get(
    "/credit-notes/{credit_note_id}/lines", response={200: list[CreditNoteLineOut], **ERRORS}
)
def list_credit_note_lines(request: HttpRequest, credit_note_id: int):
    note = _credit_note(request, credit_note_id)
    return [
        {
            "invoice_line_id": credit.invoice_line_id,
            "offer_name": credit.invoice_line.offer_name,
            "subscription_id": credit.invoice_line.subscription_id,
            "net": str(from_minor_units(credit.net_minor, note.currency)),
            "tax": str(from_minor_units(credit.tax_minor, note.currency)),
        }
        for credit in selectors.credit_note_lines(note)
    ]


@router.get(
    "/credit-notes/{credit_note_id}/pdf",
    response={200: None, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def credit_note_pdf(request: HttpRequest, credit_note_id: int):
    """The credit note's PDF, in the customer's language."""
    note = _credit_note(request, credit_note_id)
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{note.number or note.pk}.pdf"'
    return response


@router.post("/invoices/{invoice_id}/credit-notes", response={201: CreditNoteOut, **WRITE_ERRORS})
def credit_invoice(request: HttpRequest, invoice_id: int, payload: CreditNoteIn):
    """Credit an issued invoice, whole or per line (net amounts; VAT follows at the line's rate,
    half-up). 409 naming the line when an amount is beyond what is left: nothing is credited."""
    require_roles(request, MONEY_ROLES)
    invoice = selectors.invoices().filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("no such invoice")
    amounts = None
    if payload.lines is not None:
        amounts = {}
        for line in payload.lines:
            if line.invoice_line_id in amounts:
                raise HttpError(409, f"line {line.invoice_line_id} is given twice")
            amounts[line.invoice_line_id] = Decimal(line.amount.strip())
    make = do_credit_invoice if payload.issue else do_draft_credit_note
    try:
        note = make(invoice=invoice, reason=payload.reason, amounts=amounts, actor=actor(request))
    except CreditError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, _out(note))


@router.post("/credit-notes/{credit_note_id}/issue", response={200: CreditNoteOut, **WRITE_ERRORS})
def issue_credit_note(request: HttpRequest, credit_note_id: int):
    """Number a draft and send it to the customer. 409 when it is not a draft."""
    require_roles(request, MONEY_ROLES)
    note = _credit_note(request, credit_note_id)
    try:
        note = do_issue_credit_note(credit_note=note, actor=actor(request))
    except TransitionError as exc:
        raise HttpError(409, str(exc)) from None
    return _out(note)


@router.post(
    "/credit-notes/{credit_note_id}/discard", response={200: CreditNoteOut, **WRITE_ERRORS}
)
def discard_credit_note(request: HttpRequest, credit_note_id: int, payload: DiscardIn):
    """A draft nobody will issue. 409 when it is not a draft."""
    require_roles(request, MONEY_ROLES)
    note = _credit_note(request, credit_note_id)
    try:
        note = do_discard_credit_note(credit_note=note, reason=payload.reason, actor=actor(request))
    except (TransitionError, CreditError) as exc:
        raise HttpError(409, str(exc)) from None
    return _out(note)


@router.get("/fapiao", response={200: list[FapiaoOut], **ERRORS}, tags=["fapiao"])
def list_fapiao(
    request: HttpRequest,
    status: Literal["requested", "issued", "red_lettered"] | None = Query(None),
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Fapiao requests with the buyer's tax details and the amounts to issue (status=requested:
    what the tax clerk issues next)."""
    require_roles(request, READ_ROLES)
    fapiaos = selectors.fapiaos(status=status)[offset : offset + limit]
    return [selectors.fapiao_row(fapiao) for fapiao in fapiaos]


@router.post(
    "/invoices/{invoice_id}/fapiao", response={201: FapiaoOut, **WRITE_ERRORS}, tags=["fapiao"]
)
def request_fapiao(request: HttpRequest, invoice_id: int, payload: FapiaoRequestIn):
    """Ask for an issued invoice's fapiao. 409 when it has one, or a special fapiao's buyer has
    no valid unified social credit code."""
    require_roles(request, MONEY_ROLES)
    invoice = selectors.invoices().filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("no such invoice")
    try:
        fapiao = do_request_fapiao(invoice=invoice, kind=payload.kind, actor=actor(request))
    except FapiaoError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(201, selectors.fapiao_row(fapiao))


@router.post(
    "/fapiao/{fapiao_id}/issued", response={200: FapiaoOut, **WRITE_ERRORS}, tags=["fapiao"]
)
def record_fapiao_issued(request: HttpRequest, fapiao_id: int, payload: FapiaoIssuedIn):
    """Record the number (20 digits) and date the tax system gave a requested fapiao."""
    require_roles(request, MONEY_ROLES)
    fapiao = Fapiao.objects.filter(pk=fapiao_id).first()
    if fapiao is None:
        raise Http404("no such fapiao")
    try:
        fapiao = do_record_fapiao_issued(
            fapiao=fapiao,
            number=payload.number,
            issued_on=payload.issued_on,
            actor=actor(request),
        )
    except (FapiaoError, TransitionError) as exc:
        raise HttpError(409, str(exc)) from None
    return selectors.fapiao_row(fapiao)
