"""A customer's statement of account as a PDF, in the customer's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cspbilling.core import typst_documents
from cspbilling.payments.reports import KIND_LABELS

TEMPLATE = Path(__file__).with_name("statement.typ")
TYPST_LANG = {"zh-hans": "zh", "en": "en", "fr": "fr"}


def _amount(value) -> str:
    return f"{value:,.2f}"


def _less(value) -> str:
    """What lowers the balance, shown with a minus (nothing to lower: 0.00, not −0.00)."""
    return f"−{_amount(value)}" if value else _amount(value)


def statement_data(statement: dict[str, Any]) -> dict[str, Any]:
    customer = statement["customer"]
    with translation.override(customer.language):
        return {
            "lang": TYPST_LANG.get(customer.language, "en"),
            "title": _("Statement of account"),
            "start": f"{statement['start']:%Y-%m-%d}",
            "as_of": f"{statement['as_of']:%Y-%m-%d}",
            "currency": statement["currency"],
            "seller": settings.INVOICE_SELLER,
            "buyer": {
                "name": customer.display_name,
                "tax_id": customer.tax_id,
                "tenant_id": str(customer.tenant_id),
            },
            "summary": {
                "opening": _amount(statement["opening_balance"]),
                "invoiced": _amount(statement["invoiced"]),
                "credited": _less(statement["credited"]),
                "paid": _less(statement["paid"]),
                "closing": _amount(statement["closing_balance"]),
                "credit": _amount(statement["credit_available"]),
            },
            "lines": [
                {
                    "on": f"{line['on']:%Y-%m-%d}",
                    "document": line["document"],
                    "label": str(KIND_LABELS[line["kind"]]),
                    "amount": _amount(line["amount"]),
                    "balance": _amount(line["balance"]),
                }
                for line in statement["lines"]
            ],
            "labels": {
                "period": _("Period"),
                "customer": _("Customer"),
                "tax_id": _("Tax id"),
                "tenant": _("Tenant id"),
                "opening": _("Opening balance"),
                "invoiced": _("Invoiced"),
                "credited": _("Credited"),
                "paid": _("Paid"),
                "closing": _("Closing balance"),
                "credit": _("Credit available"),
                "columns": [_("Date"), _("Document"), _("Description"), _("Amount"), _("Balance")],
                "note": _(
                    "A positive balance is what you owe us; a negative one is what we owe you. "
                    "Quote the invoice number with every payment."
                ),
            },
            "footer": f"{settings.INVOICE_SELLER['name']} · {customer.display_name}",
        }


def render_statement_pdf(statement: dict[str, Any]) -> bytes:
    return typst_documents.render(TEMPLATE, statement_data(statement), "pdf")


def render_statement_png(statement: dict[str, Any]) -> bytes:
    return typst_documents.render(TEMPLATE, statement_data(statement), "png")
