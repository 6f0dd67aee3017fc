"""The customer portal. Every read is scoped to request.user.customer through selectors."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cspbilling.core.money import from_minor_units
from cspbilling.invoicing import selectors as invoicing_selectors
from cspbilling.invoicing.pdf.render import render_credit_note_pdf, render_invoice_pdf
from cspbilling.payments import selectors as payment_selectors
from cspbilling.portal.access import portal_view
from cspbilling.subscriptions import selectors as subscription_selectors


@portal_view
def home(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    subscriptions = subscription_selectors.subscriptions_for_customer(customer=customer)
    return render(
        request, "portal/home.html", {"customer": customer, "subscriptions": subscriptions}
    )


@portal_view
def subscription_detail(request: HttpRequest, subscription_id: str) -> HttpResponse:
    customer = request.user.customer
    subscription = subscription_selectors.get_subscription_for_customer(
        customer=customer, subscription_id=subscription_id
    )
    return render(
        request,
        "portal/subscription_detail.html",
        {"customer": customer, "subscription": subscription},
    )


@portal_view
def invoices(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    issued = list(invoicing_selectors.issued_invoices_for_customer(customer=customer))
    extras = invoicing_selectors.credits_and_fapiaos(issued)
    rows = [
        (
            invoice,
            from_minor_units(extras[invoice.pk]["credited_minor"], invoice.currency),
            extras[invoice.pk]["fapiao"],
        )
        for invoice in issued
    ]
    credit_notes = invoicing_selectors.issued_credit_notes_for_customer(customer=customer)
    return render(
        request,
        "portal/invoices.html",
        {
            "customer": customer,
            "rows": rows,
            "credit_notes": credit_notes,
            "account": payment_selectors.account_summary(customer),
            "payments": payment_selectors.payments(customer_tenant_id=customer.tenant_id).filter(
                status="posted"
            )[:24],
        },
    )


@portal_view
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    customer = request.user.customer
    invoice = (
        invoicing_selectors.issued_invoices_for_customer(customer=customer)
        .filter(number=number)
        .first()
    )
    if invoice is None:  # not theirs, or not issued: the same answer, nothing to learn from it
        raise Http404
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


@portal_view
def credit_note_pdf(request: HttpRequest, number: str) -> HttpResponse:
    customer = request.user.customer
    note = (
        invoicing_selectors.issued_credit_notes_for_customer(customer=customer)
        .filter(number=number)
        .first()
    )
    if note is None:
        raise Http404
    response = HttpResponse(render_credit_note_pdf(note), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{note.number}.pdf"'
    return response


@portal_view
def statement(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from cspbilling.payments import reports
    from cspbilling.payments.report_views import statement_pdf_response

    customer = request.user.customer
    data = reports.statement(customer, as_of=timezone.localdate())
    if request.GET.get("format") == "pdf":
        return statement_pdf_response(data)
    return render(request, "portal/statement.html", {"customer": customer, "s": data})
