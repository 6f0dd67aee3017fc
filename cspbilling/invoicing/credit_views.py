"""Console pages for credit notes and fapiaos. Every staff role reads; finance and
administrators credit, issue, discard, request fapiaos and record what the tax system issued."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.core.csv_export import csv_response
from cspbilling.invoicing import selectors
from cspbilling.invoicing.credit_forms import (
    CreditForm,
    DiscardForm,
    FapiaoIssuedForm,
    FapiaoRequestForm,
)
from cspbilling.invoicing.credits import CreditError, creditable_lines
from cspbilling.invoicing.fapiao_facts import FAPIAO_EXPORT_COLUMNS
from cspbilling.invoicing.models import (
    CreditNoteStatus,
    Fapiao,
    FapiaoStatus,
    Invoice,
    InvoiceStatus,
)
from cspbilling.invoicing.pdf.render import render_credit_note_pdf
from cspbilling.invoicing.services import (
    FapiaoError,
    do_credit_invoice,
    do_discard_credit_note,
    do_issue_credit_note,
    do_record_fapiao_issued,
    do_request_fapiao,
)
from cspbilling.invoicing.transitions import TransitionError


def invoice_credit_context(request: HttpRequest, invoice: Invoice, form=None) -> dict:
    """What the invoice page shows of credits and fapiaos, and the forms finance may use."""
    may_act = user_has_role(request.user, MONEY_ROLES) and invoice.status == InvoiceStatus.ISSUED
    creditable = creditable_lines(invoice)
    fapiao = selectors.fapiao_of(invoice)
    return {
        "credit_notes": selectors.credit_notes(invoice=invoice),
        "creditable": creditable,
        "credit_form": form or CreditForm(lines=creditable),
        "may_credit": may_act and any(item.net_minor for item in creditable),
        "fapiao": fapiao,
        "fapiao_row": selectors.fapiao_row(fapiao) if fapiao else None,
        "red_letters": selectors.fapiaos(invoice=invoice).exclude(red_letter_of=None),
        "may_fapiao": may_act,
        "fapiao_request_form": FapiaoRequestForm(
            initial={"kind": invoice.customer.fapiao_kind or "general"}
        ),
        "fapiao_issued_form": FapiaoIssuedForm(),
    }


@require_POST
@require_roles(*MONEY_ROLES)
def credit_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    from cspbilling.invoicing.views import render_invoice_detail  # it imports this module

    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    form = CreditForm(request.POST, lines=creditable_lines(invoice))
    if form.is_valid():
        try:
            note = do_credit_invoice(
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                amounts=form.amounts(),
                actor=request.user.username,
            )
        except CreditError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Credit note {note.number} issued: {note.total} credited.")
            return redirect("invoicing:credit_note_detail", pk=note.pk)
    return render_invoice_detail(request, invoice, credit_form=form, status=400)


@require_roles(*READ_ROLES)
def credit_note_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status")
    status = status if status in CreditNoteStatus.values else None
    page = Paginator(selectors.credit_notes(status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/credit_note_list.html",
        {
            "page": page,
            "status": status,
            "statuses": CreditNoteStatus.choices,
            "filters": urlencode({"status": status or ""}),
        },
    )


@require_roles(*READ_ROLES)
def credit_note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(selectors.credit_notes(), pk=pk)
    may_decide = user_has_role(request.user, MONEY_ROLES) and note.status == CreditNoteStatus.DRAFT
    return render(
        request,
        "invoicing/credit_note_detail.html",
        {
            "note": note,
            "lines": selectors.credit_note_lines(note),
            "may_decide": may_decide,
            "discard_form": DiscardForm(),
            "red_letter": note.fapiaos.first(),
        },
    )


@require_roles(*READ_ROLES)
def credit_note_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(selectors.credit_notes(), pk=pk)
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    name = note.number or f"credit-note-draft-{note.pk}"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_POST
@require_roles(*MONEY_ROLES)
def issue_credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(selectors.credit_notes(), pk=pk)
    try:
        do_issue_credit_note(credit_note=note, actor=request.user.username)
    except ValueError as refusal:
        messages.error(request, f"Not issued: {refusal}.")
    else:
        messages.success(request, f"Credit note {note.number} issued.")
    return redirect("invoicing:credit_note_detail", pk=note.pk)


@require_POST
@require_roles(*MONEY_ROLES)
def discard_credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(selectors.credit_notes(), pk=pk)
    form = DiscardForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the draft is discarded.")
        return redirect("invoicing:credit_note_detail", pk=note.pk)
    try:
        do_discard_credit_note(
            credit_note=note, reason=form.cleaned_data["reason"], actor=request.user.username
        )
    except ValueError as refusal:
        messages.error(request, f"Not discarded: {refusal}.")
    else:
        messages.success(request, "Draft credit note discarded.")
    return redirect("invoicing:credit_note_detail", pk=note.pk)


@require_roles(*READ_ROLES)
def fapiao_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", FapiaoStatus.REQUESTED)
    status = status if status in FapiaoStatus.values else None
    fapiaos = selectors.fapiaos(status=status)
    if request.GET.get("format") == "csv":
        rows = [selectors.fapiao_row(fapiao) for fapiao in fapiaos]
        return csv_response(
            f"fapiao-{status or 'all'}.csv",
            FAPIAO_EXPORT_COLUMNS,
            [[row[column] or "" for column in FAPIAO_EXPORT_COLUMNS] for row in rows],
        )
    page = Paginator(fapiaos, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "invoicing/fapiao_list.html",
        {
            "page": page,
            "rows": [(fapiao, selectors.fapiao_row(fapiao)) for fapiao in page],
            "status": status,
            "statuses": FapiaoStatus.choices,
            "may_record": user_has_role(request.user, MONEY_ROLES),
            "issued_form": FapiaoIssuedForm(),
        },
    )


@require_POST
@require_roles(*MONEY_ROLES)
def request_fapiao(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(selectors.invoices(), pk=pk)
    form = FapiaoRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a general or a special VAT fapiao.")
        return redirect("invoicing:invoice_detail", pk=invoice.pk)
    try:
        do_request_fapiao(
            invoice=invoice, kind=form.cleaned_data["kind"], actor=request.user.username
        )
    except FapiaoError as refusal:
        messages.error(request, f"No fapiao requested: {refusal}.")
    else:
        messages.success(request, "Fapiao requested: it is in the list to issue.")
    return redirect("invoicing:invoice_detail", pk=invoice.pk)


@require_POST
@require_roles(*MONEY_ROLES)
def record_fapiao(request: HttpRequest, pk: int) -> HttpResponse:
    fapiao = get_object_or_404(Fapiao, pk=pk)
    form = FapiaoIssuedForm(request.POST)
    back = request.POST.get("back") == "list"
    if not form.is_valid():
        messages.error(request, "Give the fapiao's 20-digit number and its date (YYYY-MM-DD).")
    else:
        try:
            do_record_fapiao_issued(
                fapiao=fapiao,
                number=form.cleaned_data["number"],
                issued_on=form.cleaned_data["issued_on"],
                actor=request.user.username,
            )
        except (FapiaoError, TransitionError) as refusal:
            messages.error(request, f"Not recorded: {refusal}.")
        else:
            messages.success(request, f"Fapiao {fapiao.number} recorded.")
    if back:
        return redirect("invoicing:fapiao_list")
    return redirect("invoicing:invoice_detail", pk=fapiao.invoice_id)
