"""What invoicing gives the outbox: an issued invoice's PDF as an email attachment."""

from __future__ import annotations

from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.invoicing.pdf.render import render_invoice_pdf
from cspbilling.notifications.attachments import Attachment, register_attachment
from cspbilling.notifications.errors import PermanentDeliveryError


@register_attachment("invoicing.invoice_pdf")
def invoice_pdf(ref: str) -> Attachment:
    """The PDF of an issued invoice (by number). Issued invoices never change, so a retried
    email attaches the same document."""
    invoice = (
        Invoice.objects.select_related("customer")
        .filter(number=ref, status=InvoiceStatus.ISSUED)
        .first()
    )
    if invoice is None:
        raise PermanentDeliveryError(f"no issued invoice {ref}")
    return Attachment(f"{invoice.number}.pdf", render_invoice_pdf(invoice), "application/pdf")
