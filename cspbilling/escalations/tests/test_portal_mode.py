"""Portal mode (the 21Vianet cloud): escalate from a case, file by hand with the ticket number,
21Vianet's reply email threaded in as an internal note, reminders, and the outcome to closed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from cspbilling.cases.models import CaseStatus, Visibility
from cspbilling.cases.services import do_confirm_resolution
from cspbilling.cases.tests.fixtures import case_emails
from cspbilling.collections.models import DisputeHold
from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.escalations.services import (
    AlreadyEscalated,
    EscalationError,
    do_edit_request,
    do_escalate_case,
    do_record_rejected,
    do_record_ticket_number,
    do_send_reminders,
)
from cspbilling.notifications.models import OutboundMessage
from cspbilling.upstream.models import UpstreamLineItem

pytestmark = pytest.mark.django_db(transaction=True)


def mail_texts(smtp_server) -> list[str]:
    texts = []
    for message in smtp_server.received:
        for part in message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True) or b""
                texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return texts


def test_escalating_prepares_the_whole_request_in_chinese(dispute_case, customer_a):
    case = dispute_case(line=0)
    escalation = do_escalate_case(case=case, actor="agent", cause="duplicate_charge")
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED
    assert escalation.reference == f"ESC-{escalation.pk:06d}"
    assert escalation.status == EscalationStatus.PREPARED and escalation.channel == "portal"
    [line] = UpstreamLineItem.objects.filter(subscription_id="sub-0")
    text = escalation.description
    for fact in (
        str(customer_a.tenant_id),
        customer_a.domain,
        customer_a.legal_name,
        "sub-0",
        line.invoice.invoice_id,
        f"对账行 {line.pk}",
        "100.00 CNY",
        "重复计费",
        "合作伙伴请求",
    ):
        assert fact in text, fact
    assert escalation.title.startswith(f"[{escalation.reference}] 计费争议")
    rows = list(csv.DictReader(io.StringIO(escalation.lines_csv)))
    assert [(r["upstream_line_id"], r["amount"]) for r in rows] == [(str(line.pk), "100.00")]
    assert escalation.disputed_minor == 10000
    # The customer read (and was emailed) what happens next, in its language.
    public = case.messages.filter(visibility=Visibility.PUBLIC).order_by("pk").last()
    assert "世纪互联" in public.body and escalation.reference in public.body
    assert case_emails(case)[-1].payload["body"].startswith(public.body[:20])

    edited = do_edit_request(
        escalation=escalation,
        actor="agent",
        title=escalation.title + "（紧急）",
        description=text + "\n客户已两次来电。",
        severity="critical",
    )
    assert edited.severity == "critical" and edited.description.endswith("客户已两次来电。")
    with pytest.raises(EscalationError, match="keep our reference"):
        do_edit_request(
            escalation=escalation, actor="a", title="x", description="y", severity="minimal"
        )


def test_a_second_escalation_of_the_same_line_is_refused_and_shows_the_first(dispute_case):
    case = dispute_case(line=0)
    first = do_escalate_case(case=case, actor="agent")
    other_case = dispute_case(line=0, subject="Same charge, asked again")
    with pytest.raises(AlreadyEscalated) as refused:
        do_escalate_case(case=other_case, actor="agent")
    assert refused.value.existing == first
    assert first.reference in str(refused.value)
    assert Escalation.objects.count() == 1
    # Another line of the same invoice is a different dispute.
    assert do_escalate_case(case=dispute_case(line=1), actor="agent").pk != first.pk


def test_ticket_number_is_validated_and_belongs_to_one_escalation(dispute_case, vianet):
    one = do_escalate_case(case=dispute_case(line=0), actor="agent")
    two = do_escalate_case(case=dispute_case(line=1), actor="agent")
    with pytest.raises(EscalationError, match="not a 21Vianet ticket number"):
        do_record_ticket_number(escalation=one, ticket_number="12 ab!", actor="agent")
    ticket = vianet.file_in_portal(title=one.title, description=one.description)
    filed = do_record_ticket_number(escalation=one, ticket_number=f" {ticket} ", actor="agent")
    assert filed.status == EscalationStatus.FILED and filed.ticket_number == ticket
    assert filed.next_reminder_at is not None
    # The same form sent twice changes nothing; another escalation cannot take the number.
    do_record_ticket_number(escalation=one, ticket_number=ticket, actor="agent")
    with pytest.raises(EscalationError, match=f"belongs to {one.reference}"):
        do_record_ticket_number(escalation=two, ticket_number=ticket, actor="agent")
    assert one.case.messages.filter(
        visibility=Visibility.INTERNAL, body__contains=f"ticket {ticket}"
    ).exists()


def test_portal_mode_from_escalation_to_closed(
    dispute_case, vianet, case_mailbox, smtp_server, deliver_outbox, clock, settings
):
    """Filed by hand; 21Vianet's reply email (naming only the ticket number) threads in as an
    internal note, never emailed to the customer; reminders when it goes quiet; rejected: the
    hold is lifted, the customer is told why, and the case closes on its confirmation."""
    settings.STAFF_ALERT_EMAILS = ["billing-lead@partner.example"]
    case = dispute_case(line=0)
    assert DisputeHold.objects.get(source_ref=case.reference).is_open
    escalation = do_escalate_case(case=case, actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title, description=escalation.description)
    do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
    deliver_outbox()
    emails_before = len(smtp_server.received)

    vianet.email(
        ticket, text="您好，我们已收到工单，正在核实，请提供客户的订购确认邮件。", port=case_mailbox
    )
    note = case.messages.filter(channel="email").get()
    assert note.visibility == Visibility.INTERNAL and "正在核实" in note.body
    assert note.author == "support@oe.21vianet.com"
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.INFO_REQUESTED and escalation.last_answer_at
    deliver_outbox()
    assert len(smtp_server.received) == emails_before  # nothing went to the customer

    # 21Vianet goes quiet: the reminder comes after N business days, once.
    assert do_send_reminders()["reminders"] == 0
    clock.advance(days=10)
    counts = do_send_reminders()
    assert counts == {"reminders": 1, "customer_updates": 1}
    assert do_send_reminders() == {"reminders": 0, "customer_updates": 0}
    reminder = OutboundMessage.objects.get(idempotency_key__startswith="escalation-reminder:")
    assert reminder.payload["to"] == ["billing-lead@partner.example"]
    assert ticket in reminder.payload["subject"]

    do_record_rejected(
        escalation=escalation, reason="该费用为客户在10月12日增加的许可证数量", actor="agent"
    )
    escalation.refresh_from_db()
    case.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert case.status == CaseStatus.RESOLVED and case.dispute_outcome == "upheld"
    assert not DisputeHold.objects.get(source_ref=case.reference).is_open  # collections resume
    resolution = case.messages.get(is_resolution=True)
    assert "10月12日" in resolution.body and "世纪互联" in resolution.body
    assert not escalation.lines.filter(is_open=True).exists()
    deliver_outbox()
    assert any("10月12日" in text for text in mail_texts(smtp_server))
    do_confirm_resolution(case=case, actor="li.wei@contoso.cn", channel="email")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_reply_mail_naming_our_reference_threads_in_and_others_do_not(
    dispute_case, vianet, case_mailbox
):
    from cspbilling.cases.services.intake import do_ingest_email

    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title)
    do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
    vianet.email(
        ticket,
        text="已收到。",
        port=case_mailbox,
        subject=f"RE: [{escalation.reference}] 计费争议",
    )
    case = escalation.case
    assert case.messages.filter(channel="email", visibility=Visibility.INTERNAL).count() == 1
    # The same reference from someone who is not 21Vianet is no internal note.
    raw = (
        f"From: someone@example.com\r\nTo: support@cspbilling.localhost\r\n"
        f"Subject: about {escalation.reference} {ticket}\r\n"
        "Message-ID: <x1@example.com>\r\n\r\nhi\r\n"
    ).encode()
    assert do_ingest_email(raw=raw).outcome != "upstream_note"
    assert case.messages.filter(channel="email", visibility=Visibility.INTERNAL).count() == 1


def test_customer_updates_every_n_business_days_while_escalated(dispute_case, clock, settings):
    settings.ESCALATIONS_CUSTOMER_UPDATE_BUSINESS_DAYS = 2
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    case = escalation.case
    public_before = case.messages.filter(visibility=Visibility.PUBLIC).count()
    clock.advance(days=1)
    assert do_send_reminders()["customer_updates"] == 0
    clock.advance(days=6)
    assert do_send_reminders()["customer_updates"] == 1
    update = case.messages.filter(visibility=Visibility.PUBLIC).order_by("pk").last()
    assert case.messages.filter(visibility=Visibility.PUBLIC).count() == public_before + 1
    assert escalation.reference in update.body and "2" in update.body
    assert Decimal(escalation.disputed_minor) == Decimal(10000)


def test_an_escalation_from_a_question_holds_its_lines_until_rejected(
    make_case, issued_invoice, customer_a
):
    """A dispute case holds its amount itself; an escalation of any other case holds what we
    billed for the disputed lines, and a rejection lifts it (collections resumes)."""
    invoice = issued_invoice(amounts=("100", "50.05"), customer=customer_a)
    line = invoice.lines.order_by("pk").first()
    case = make_case(invoice_lines=[line])
    escalation = do_escalate_case(case=case, actor="agent")
    hold = DisputeHold.objects.get(source="escalation", source_ref=escalation.reference)
    assert hold.is_open and hold.amount_minor == 10600 and hold.invoice == invoice
    do_record_ticket_number(escalation=escalation, ticket_number="240801000321", actor="agent")
    do_record_rejected(escalation=escalation, reason="费用无误", actor="agent")
    hold.refresh_from_db()
    assert not hold.is_open
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.messages.filter(is_resolution=True).exists()


def test_the_disputed_lines_csv_never_carries_a_formula_from_upstream(dispute_case):
    """An offer name 21Vianet sent as '=HYPERLINK(…)' opens in Excel as text, not a formula."""
    case = dispute_case(line=0)
    UpstreamLineItem.objects.filter(subscription_id="sub-0").update(
        offer_name='=HYPERLINK("http://x","y")'
    )
    escalation = do_escalate_case(case=case, actor="agent")
    [row] = list(csv.DictReader(io.StringIO(escalation.lines_csv)))
    assert row["offer_name"] == '\'=HYPERLINK("http://x","y")'


def test_an_escalation_of_lines_on_two_invoices_holds_its_part_of_each_until_rejected(
    make_case, issued_invoice, customer_a
):
    september = issued_invoice(amounts=("80",), customer=customer_a, period=dt.date(2026, 9, 1))
    october = issued_invoice(amounts=("100",), customer=customer_a)
    lines = [september.lines.get(), october.lines.get()]
    case = make_case(invoice_lines=lines)
    escalation = do_escalate_case(case=case, actor="agent")
    held = DisputeHold.objects.filter(
        source="escalation", source_ref=escalation.reference, released_at=None
    ).order_by("invoice_id")
    assert [(h.invoice, h.amount_minor) for h in held] == [(september, 8480), (october, 10600)]
    do_record_ticket_number(escalation=escalation, ticket_number="240801000322", actor="agent")
    do_record_rejected(escalation=escalation, reason="费用无误", actor="agent")
    assert not DisputeHold.objects.filter(released_at=None).exists()  # both back on the clock
