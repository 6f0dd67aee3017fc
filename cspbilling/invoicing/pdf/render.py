"""An invoice or a credit note as a PDF, rendered by Typst in the customer's language (zh-Hans,
en, fr).

The Typst template (`invoice.typ`) holds layout only; every word is translated here with Django's
catalogues and passed to it as JSON, so one template serves every language.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cspbilling.core import typst_documents
from cspbilling.core.money import from_minor_units
from cspbilling.invoicing import hooks
from cspbilling.invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

TEMPLATE = Path(__file__).with_name("invoice.typ")
TYPST_LANG = {"zh-hans": "zh", "en": "en", "fr": "fr"}


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _labels() -> dict[str, Any]:
    return {
        "tax_id": _("Tax id"),
        "issued_on": _("Issued on"),
        "period": _("Billing period"),
        "bill_to": _("Bill to"),
        "tenant": _("Tenant id"),
        "columns": [_("Description"), _("Qty"), _("Net"), _("VAT rate"), _("VAT"), _("Total")],
        "subtotal": _("Subtotal"),
        "vat": _("VAT"),
        "total": _("Total"),
        "how_to_pay": _("How to pay"),
        "bank": _("Bank"),
        "account": _("Account"),
        "account_name": _("Account name"),
        "quote_reference": _("Quote this reference with your payment"),
        "reason": _("Reason"),
    }


def billed_share(line: InvoiceLine) -> str:
    """What a line bills when it is not a whole period's charge, in the customer's words: a
    credit, and a fixed price's share of a full period (a prorated purchase, a cancellation)."""
    parts = []
    if line.net_minor < 0:
        parts.append(pgettext("invoice line", "Credit"))
    if line.period_percent is not None:
        parts.append(_("%(percent)s %% of a full period") % {"percent": line.period_percent})
    return " · ".join(parts)


def _line(line: InvoiceLine) -> dict[str, str]:
    period = ""
    if line.charge_start:
        period = (
            f"{line.charge_start:%Y-%m-%d} – {line.charge_end:%Y-%m-%d}" if line.charge_end else ""
        )
    parts = (line.charge_type, period, line.subscription_id, billed_share(line))
    detail = " · ".join(part for part in parts if part)
    return {
        "description": line.offer_name or line.offer_id,
        "detail": detail,
        "quantity": _quantity(line.quantity),
        "net": _amount(line.net),
        "tax_rate": f"{line.tax_percent} %",
        "tax": _amount(line.tax),
        "total": _amount(line.net + line.tax),
    }


def _credit_line(credit: CreditNoteLine, currency: str) -> dict[str, str]:
    net = from_minor_units(credit.net_minor, currency)
    tax = from_minor_units(credit.tax_minor, currency)
    return {
        **_line(credit.invoice_line),
        "quantity": "",
        "net": _amount(net),
        "tax": _amount(tax),
        "total": _amount(net + tax),
    }


def _buyer(customer) -> dict[str, str]:
    address = ", ".join(
        part for part in (customer.address_line1, customer.city, customer.region) if part
    )
    return {
        "name": customer.display_name,
        "tax_id": customer.tax_id,
        "address": address,
        "tenant_id": str(customer.tenant_id),
    }


def _common(customer, number: str, currency: str) -> dict[str, Any]:
    """What every document prints the same way (call inside the customer's language)."""
    return {
        "lang": TYPST_LANG.get(customer.language, "en"),
        "number": number,
        "currency": currency,
        "seller": settings.INVOICE_SELLER,
        "buyer": _buyer(customer),
        "labels": _labels(),
        "policy": settings.INVOICE_POLICY_TEXT
        or hooks.policy_line(customer)
        or _(
            "Unpaid invoices are reminded before and after their due date; access to "
            "subscriptions may be suspended under our collections policy when an invoice "
            "remains unpaid."
        ),
        "footer": f"{settings.INVOICE_SELLER['name']} · {number}",
    }


def _totals(subtotal: Decimal, tax: Decimal, total: Decimal) -> dict[str, str]:
    return {"subtotal": _amount(subtotal), "tax": _amount(tax), "total": _amount(total)}


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """What the template prints for an invoice, in the customer's language."""
    customer = invoice.customer
    with translation.override(customer.language):
        number = invoice.number or _("Draft %(id)s") % {"id": invoice.pk}
        due_on = f"{invoice.due_on:%Y-%m-%d}" if invoice.due_on else "—"
        return {
            **_common(customer, number, invoice.currency),
            "title": _("Supplementary invoice") if invoice.corrects_id else _("Invoice"),
            "issued_on": f"{invoice.issued_on:%Y-%m-%d}" if invoice.issued_on else "—",
            "period": f"{invoice.period:%Y-%m}",
            "box": {
                "label": _("Amount due"),
                "rows": [
                    [_("Due on"), due_on],
                    [_("Payment reference"), number],
                    *(
                        [[_("Supplements invoice"), invoice.corrects.number]]
                        if invoice.corrects_id
                        else []
                    ),
                ],
            },
            "lines": [_line(line) for line in invoice.lines.order_by("subscription_id", "id")],
            "totals": _totals(invoice.subtotal, invoice.tax, invoice.total),
            "reason": None,
            "pay": True,
        }


def credit_note_data(note: CreditNote) -> dict[str, Any]:
    """What the template prints for a credit note: the lines it credits, and why."""
    customer = note.customer
    with translation.override(customer.language):
        number = note.number or _("Draft %(id)s") % {"id": note.pk}
        credits = note.lines.select_related("invoice_line").order_by("id")
        return {
            **_common(customer, number, note.currency),
            "title": _("Credit note"),
            "issued_on": f"{note.issued_on:%Y-%m-%d}" if note.issued_on else "—",
            "period": f"{note.invoice.period:%Y-%m}",
            "box": {
                "label": _("Amount credited"),
                "rows": [[_("Credits invoice"), note.invoice.number]],
            },
            "lines": [_credit_line(credit, note.currency) for credit in credits],
            "totals": _totals(note.subtotal, note.tax, note.total),
            "reason": note.reason,
            "pay": False,
            "policy": "",  # the collections line is for what is owed
        }


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes (a draft too, marked as such by its number)."""
    return _compile(invoice_data(invoice), "pdf")


def render_invoice_png(invoice: Invoice) -> bytes:
    """The first page as a PNG (a preview; the tests look at it)."""
    return _compile(invoice_data(invoice), "png")


def render_credit_note_pdf(note: CreditNote) -> bytes:
    return _compile(credit_note_data(note), "pdf")


def render_credit_note_png(note: CreditNote) -> bytes:
    return _compile(credit_note_data(note), "png")


def _compile(document: dict[str, Any], output_format: str) -> bytes:
    return typst_documents.render(TEMPLATE, document, output_format)
