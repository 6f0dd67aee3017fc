"""The emails that carry an issued invoice or credit note to the customer, in its language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cspbilling.customers.selectors import billing_emails
from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import queue_email


def queue_invoice_email(invoice: Invoice, *, actor: str) -> OutboundMessage | None:
    """Queue the invoice for the customer's billing contacts (in the caller's transaction);
    None when the customer has no billing contact with an email address."""
    to = billing_emails(invoice.customer)
    if not to:
        return None
    seller = settings.INVOICE_SELLER["name_local"] or settings.INVOICE_SELLER["name"]
    with translation.override(invoice.customer.language):
        facts = {
            "number": invoice.number,
            "seller": seller,
            "total": f"{invoice.total:,.2f} {invoice.currency}",
            "due": f"{invoice.due_on:%Y-%m-%d}",
            "period": f"{invoice.period:%Y-%m}",
        }
        subject = _("Invoice %(number)s from %(seller)s") % facts
        body = "\n\n".join(
            [
                _("Hello,"),
                _(
                    "Please find attached invoice %(number)s for %(period)s: %(total)s, due on "
                    "%(due)s. Quote %(number)s with your payment."
                )
                % facts,
                _("You can also download it from the billing portal."),
                seller,
            ]
        )
    return queue_email(
        to=to,
        subject=subject,
        body=body,
        idempotency_key=f"invoice-issued:{invoice.number}",
        related=("invoice", invoice.number),
        actor=actor,
        language=invoice.customer.language,
        attachments=[{"kind": "invoicing.invoice_pdf", "ref": invoice.number}],
    )


def queue_credit_note_email(note: CreditNote, *, actor: str) -> OutboundMessage | None:
    """Queue an issued credit note for the customer's billing contacts, in its language."""
    to = billing_emails(note.customer)
    if not to:
        return None
    seller = settings.INVOICE_SELLER["name_local"] or settings.INVOICE_SELLER["name"]
    with translation.override(note.customer.language):
        facts = {
            "number": note.number,
            "invoice": note.invoice.number,
            "seller": seller,
            "total": f"{note.total:,.2f} {note.currency}",
        }
        subject = _("Credit note %(number)s from %(seller)s") % facts
        body = "\n\n".join(
            [
                _("Hello,"),
                _(
                    "Please find attached credit note %(number)s on invoice %(invoice)s: "
                    "%(total)s is credited to you."
                )
                % facts,
                _("Reason: %(reason)s") % {"reason": note.reason},
                _("You can also download it from the billing portal."),
                seller,
            ]
        )
    return queue_email(
        to=to,
        subject=subject,
        body=body,
        idempotency_key=f"credit-note-issued:{note.number}",
        related=("credit_note", note.number),
        actor=actor,
        language=note.customer.language,
        attachments=[{"kind": "invoicing.credit_note_pdf", "ref": note.number}],
    )
