"""What a fapiao is for: the buyer's details it prints and the amounts to issue it for. Reads."""

from __future__ import annotations

import re

from django.db.models import Sum

from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import CreditNote, CreditNoteStatus, Fapiao

# A fully digitalised e-fapiao (全电发票) has one 20-digit number.
FAPIAO_NUMBER = re.compile(r"^\d{20}$")
# The columns of the export the tax clerk issues fapiaos from (console, CLI).
FAPIAO_EXPORT_COLUMNS = (
    "id",
    "kind",
    "invoice_number",
    "credit_note_number",
    "red_letter_of",
    "net",
    "tax",
    "total",
    "currency",
    "buyer_name",
    "buyer_tax_id",
    "buyer_address",
    "buyer_phone",
    "buyer_bank_name",
    "buyer_bank_account",
    "requested_on",
)


def buyer_details(customer: Customer) -> dict[str, str]:
    """What a fapiao prints of the buyer: name, tax id, address and phone, bank and account."""
    address = customer.registered_address or ", ".join(
        part for part in (customer.address_line1, customer.city, customer.region) if part
    )
    return {
        "name": customer.display_name,
        "tax_id": customer.tax_id,
        "address": address,
        "phone": customer.registered_phone or customer.phone_number,
        "bank_name": customer.bank_name,
        "bank_account": customer.bank_account,
    }


def fapiao_amounts(fapiao: Fapiao) -> tuple[int, int]:
    """(net, tax) in minor units: as issued; for a request, the invoice less its issued credit
    notes (a credit before the fapiao needs no red letter), or a credit note reversed."""
    if fapiao.net_minor is not None:
        return fapiao.net_minor, fapiao.tax_minor
    if fapiao.credit_note_id is not None:
        return -fapiao.credit_note.subtotal_minor, -fapiao.credit_note.tax_minor
    credited = CreditNote.objects.filter(
        invoice_id=fapiao.invoice_id, status=CreditNoteStatus.ISSUED
    ).aggregate(net=Sum("subtotal_minor"), tax=Sum("tax_minor"))
    invoice = fapiao.invoice
    return (
        invoice.subtotal_minor - (credited["net"] or 0),
        invoice.tax_minor - (credited["tax"] or 0),
    )
