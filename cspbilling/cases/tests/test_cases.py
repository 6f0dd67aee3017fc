"""Cases: opening, the state machine, technical routing, the conversation (public replies emailed
threaded in the customer's language, internal notes never leave), audit and webhooks."""

from __future__ import annotations

import json

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import Case, CaseMessage, CaseStatus
from cspbilling.cases.services import (
    CaseError,
    do_add_note,
    do_assign_case,
    do_record_customer_message,
    do_reply_to_case,
)
from cspbilling.cases.tests.fixtures import case_emails
from cspbilling.core.transitions import TransitionError
from cspbilling.notifications.models import OutboundMessage

NOTE = "INTERNAL: customer is on the watch list, do not offer credit"


@pytest.mark.django_db(transaction=True)
def test_a_case_opens_with_a_reference_a_clock_and_an_audit_event(make_case) -> None:
    case = make_case(priority="high")
    assert case.reference == f"CASE-{case.pk:06d}"
    assert case.status == CaseStatus.NEW and case.language == "zh-hans"
    assert case.first_response_due_at and case.resolution_due_at
    assert case.first_response_due_at < case.resolution_due_at
    assert case.messages.get().author == "li.wei@contoso.cn"
    event = AuditEvent.objects.get(action="case.opened")
    assert event.object_id == case.reference and event.after["status"] == "new"


@pytest.mark.django_db(transaction=True)
def test_the_state_machine_refuses_moves_outside_its_table(
    make_case, staff_users, portal_user_a
) -> None:
    case = make_case()
    case = do_assign_case(case=case, assignee=staff_users["support"], actor="lead")
    assert case.status == CaseStatus.OPEN
    # No plain "escalate": a case is escalated only by an escalation to 21Vianet (a record).
    from django.db import transaction

    from cspbilling.cases.services import escalate_case

    with pytest.raises(CaseError, match="Escalate to 21Vianet"), transaction.atomic():
        escalate_case(case=case, actor="agent")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    with pytest.raises(CaseError, match="not staff"):
        do_assign_case(case=case, assignee=portal_user_a, actor="x")
    case.status = CaseStatus.CLOSED
    from cspbilling.cases import transitions

    with pytest.raises(TransitionError):
        transitions.open_case(case)


@pytest.mark.django_db(transaction=True)
def test_a_technical_question_goes_to_technical_support_and_the_customer_is_told(
    make_case, settings
) -> None:
    settings.CASES_TECHNICAL_SUPPORT_EMAIL = "tech@partner.example"
    case = make_case(category="technical", subject="Teams 无法登录")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.routed_to_technical_at
    to_tech = OutboundMessage.objects.get(idempotency_key=f"case-technical:{case.reference}")
    assert to_tech.payload["to"] == ["tech@partner.example"]
    [told] = case_emails(case)
    assert told.payload["to"] == ["li.wei@contoso.cn"]
    assert "技术支持" in told.payload["body"]  # in the customer's language (zh-hans)
    assert told.payload["subject"].startswith(f"[{case.reference}]")


@pytest.mark.django_db(transaction=True)
def test_replies_are_emailed_threaded_in_the_customers_language_and_notes_never_leave(
    make_case, smtp_server, deliver_outbox, settings, monkeypatch
) -> None:
    settings.CASES_WEBHOOK_URL = "http://127.0.0.1:9/hooks"
    monkeypatch.setenv("CSPBILLING_WEBHOOK_SECRET", "s3cret")
    case = make_case(message_id="<first@contoso.cn>")
    do_add_note(case=case, body=NOTE, actor="agent")
    reply = do_reply_to_case(
        case=case, body="我们正在核对您的发票。", actor="agent", wait_on_customer=True
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING_ON_CUSTOMER and case.first_response_at
    assert case.resolution_due_at is None  # the clock is paused
    outcomes = deliver_outbox()
    assert [k for k, v in outcomes.items() if k.startswith("case-message")] == [
        f"case-message:{case.reference}:{reply.pk}"
    ]
    [mail] = smtp_server.received
    assert case.reference in mail["Subject"]
    assert mail["In-Reply-To"] == "<first@contoso.cn>"
    assert "<first@contoso.cn>" in mail["References"]
    assert mail["Content-Language"] == "zh-hans"
    text = mail.get_payload(decode=True).decode()
    assert "我们正在核对您的发票" in text and "回复" in text
    assert NOTE not in mail.as_string()
    # Webhooks: every case event, none with the note's text.
    hooks = OutboundMessage.objects.filter(kind="webhook")
    assert hooks.count() >= 3
    assert all(NOTE not in json.dumps(h.payload) for h in hooks)
    # The customer answers: the case is open again and its clock runs.
    do_record_customer_message(
        case=case,
        body="Here is the PO number.",
        author="li.wei@contoso.cn",
        channel="portal",
        actor="portal-a",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.resolution_due_at is not None
    assert list(case.messages.values_list("visibility", flat=True)) == [
        "public",
        "internal",
        "public",
        "public",
    ]
    assert CaseMessage.objects.get(pk=reply.pk).message_id.endswith("@cspbilling>")


@pytest.mark.django_db(transaction=True)
def test_a_note_or_reply_needs_text(make_case) -> None:
    case = make_case()
    with pytest.raises(CaseError, match="empty"):
        do_add_note(case=case, body="  ", actor="agent")
    with pytest.raises(CaseError, match="empty"):
        do_reply_to_case(case=case, body="", actor="agent")
    assert Case.objects.get(pk=case.pk).messages.count() == 1


@pytest.mark.django_db(transaction=True)
def test_invoices_named_in_the_text_are_linked_only_when_they_are_the_customers(
    make_case, issued_invoice, customer_a, customer_b
) -> None:
    own = issued_invoice(amounts=("100",), customer=customer_a)
    other = issued_invoice(amounts=("100",), customer=customer_b)
    case = make_case(body=f"Why is {own.number} higher than {other.number}?")
    assert list(case.invoices.all()) == [own]


@pytest.mark.django_db(transaction=True)
def test_case_events_reach_a_webhook_signed_and_without_internal_text(
    make_case, settings, monkeypatch, deliver_outbox
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from cspbilling.notifications.transports import (
        SIGNATURE_HEADER,
        TIMESTAMP_HEADER,
        sign_webhook,
    )

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CASES_WEBHOOK_URL = f"http://127.0.0.1:{server.server_address[1]}/hook"
    monkeypatch.setenv("CSPBILLING_WEBHOOK_SECRET", "s3cret")
    try:
        case = make_case()
        do_add_note(case=case, body=NOTE, actor="agent")
        do_reply_to_case(case=case, body="我们正在核对。", actor="agent")
        deliver_outbox()
    finally:
        server.shutdown()
    events = [json.loads(body)["event"] for _, body in received]
    assert events == ["case.opened", "case.note_added", "case.replied"]
    for headers, body in received:
        expected = sign_webhook("s3cret", int(headers[TIMESTAMP_HEADER]), body)
        assert headers[SIGNATURE_HEADER] == expected
        assert NOTE.encode() not in body
    assert json.loads(received[2][1])["message"]["body"] == "我们正在核对。"
