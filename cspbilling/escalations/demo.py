"""Demo escalations, both in portal mode (the 21Vianet cloud): the demo's dispute case escalated,
filed with a ticket number and answered by 21Vianet's email (threaded in through the case mail
intake as an internal note); and a second dispute upheld, whose credit arrived on a later
21Vianet reconciliation file (imported like any other) and became the customer's credit note.
Safe to run again: nothing is added twice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from django.conf import settings

from cspbilling.core.money import from_minor_units
from cspbilling.escalations.models import Escalation


def _vianet_reply(ticket: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "世纪互联支持 <support@oe.21vianet.com>"
    message["To"] = settings.CASES_MAILBOX_ADDRESS
    message["Subject"] = f"工单 {ticket} 的答复"
    message["Message-ID"] = make_msgid(domain="oe.21vianet.com")
    message.set_content(f"{text}\n\n世纪互联支持\n工单号：{ticket}\n")
    return message.as_bytes()


def _credit_file(folder: Path, escalation: Escalation) -> Path:
    """21Vianet's next reconciliation file, carrying the promised credit."""
    line = escalation.lines.order_by("pk").first()
    start = ((line.charge_end or dt.date.today()).replace(day=1) + dt.timedelta(days=32)).replace(
        day=1
    )
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    amount = f"{-from_minor_units(escalation.promised_credit_minor, escalation.currency)}"
    row = {
        "CustomerId": str(escalation.customer.tenant_id),
        "CustomerName": escalation.customer.company_name,
        "OrderId": f"credit-{escalation.reference}",
        "SubscriptionId": line.subscription_id,
        "SyndicationPartnerSubscriptionNumber": line.subscription_id,
        "OfferName": "Credit",
        "ChargeStartDate": start.isoformat(),
        "ChargeEndDate": end.isoformat(),
        "ChargeType": "Credit",
        "UnitPrice": amount,
        "Quantity": "1",
        "Amount": amount,
        "TotalOtherDiscount": "0",
        "Subtotal": amount,
        "Tax": "0",
        "TotalForCustomer": amount,
        "Currency": escalation.currency,
        "BillingCycleType": "Monthly",
        "InvoiceNumber": f"D0CR{escalation.pk:06d}",
    }
    from cspbilling.upstream.columns import LICENSE_COLUMNS_GLOBAL

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LICENSE_COLUMNS_GLOBAL)
    writer.writerow([row.get(name, "") for name in LICENSE_COLUMNS_GLOBAL])
    path = folder / f"credit-{escalation.reference}.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _billed_line(exclude_customer=None):
    from cspbilling.invoicing.models import InvoiceLine

    lines = InvoiceLine.objects.filter(
        invoice__status="issued", billed_upstream_lines__isnull=False, net_minor__gt=0
    ).select_related("invoice__customer")
    if exclude_customer is not None:
        lines = lines.exclude(invoice__customer=exclude_customer)
    return lines.order_by("invoice__number", "pk").first()


def load_demo_escalations() -> str:
    from cspbilling.cases.models import Case
    from cspbilling.cases.services import do_open_case
    from cspbilling.cases.services.intake import do_ingest_email
    from cspbilling.escalations.services import (
        do_escalate_case,
        do_record_ticket_number,
        do_record_upheld,
    )
    from cspbilling.upstream.services import do_import_reconciliation_file

    if Escalation.objects.exists():
        return f", {Escalation.objects.count()} escalations to 21Vianet"
    dispute = Case.objects.filter(category="dispute", status__in=("new", "open")).first()
    if dispute is None or not dispute.customer.contacts.exists():
        return ""
    answered = do_escalate_case(case=dispute, actor="support", cause="duplicate_charge")
    do_record_ticket_number(escalation=answered, ticket_number="2411250000101", actor="support")
    do_ingest_email(
        raw=_vianet_reply(
            "2411250000101",
            "您好，我们已收到该工单，正在与计费团队核实重复计费的问题，预计 3 个工作日内答复。",
        )
    )
    line = _billed_line(exclude_customer=dispute.customer) or _billed_line()
    contact = line.invoice.customer.contacts.exclude(email="").first()
    case = do_open_case(
        customer=line.invoice.customer,
        subject=f"{line.invoice.number}: {line.offer_name} billed after cancellation",
        body="We cancelled this subscription last month but were still charged.",
        category="dispute",
        channel="portal",
        actor="demo",
        contact_email=contact.email if contact else "",
        disputed_invoice=line.invoice,
        disputed_amount=from_minor_units(line.net_minor + line.tax_minor, line.invoice.currency),
        invoice_lines=[line],
    )
    credited = do_escalate_case(case=case, actor="support", cause="after_cancellation")
    do_record_ticket_number(escalation=credited, ticket_number="2411250000102", actor="support")
    credited = do_record_upheld(
        escalation=credited,
        promised_credit=credited.disputed_amount,
        actor="finance",
        note="21Vianet confirmed the charge after cancellation; credit on the next invoice.",
    )
    with tempfile.TemporaryDirectory() as folder:
        do_import_reconciliation_file(path=_credit_file(Path(folder), credited), actor="demo")
    credited.refresh_from_db()
    note = ", ".join(link.credit_note.number for link in credited.credit_notes.all()) or "none"
    return (
        f", {Escalation.objects.count()} escalations to 21Vianet (one answered by email, "
        f"one credited: credit note {note})"
    )
