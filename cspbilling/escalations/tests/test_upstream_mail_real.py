"""21Vianet's replies as they really arrive, over SMTP into the case mailbox: GB18030 with the
ticket number only in the quoted history, the ticket number in full-width digits between
（）、：, our reference glued to Chinese text. Threaded into the right escalation, or, when
the mail names several or none, refused clearly: a triage case saying why, never a guess."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from cspbilling.cases.models import Case, CaseMessage, Visibility
from cspbilling.cases.services.intake import do_ingest_email
from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.escalations.services import do_escalate_case, do_record_ticket_number

pytestmark = pytest.mark.django_db(transaction=True)

MAIL = Path(__file__).parent / "mail"


def _filed(dispute_case, line: int, ticket: str) -> Escalation:
    escalation = do_escalate_case(case=dispute_case(line=line), actor="agent")
    return do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")


def _send(port: int, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("support@oe.21vianet.com", ["support@cspbilling.localhost"], raw)


def _upstream_notes(escalation: Escalation) -> list[CaseMessage]:
    return list(
        escalation.case.messages.filter(channel="email", visibility=Visibility.INTERNAL).order_by(
            "pk"
        )
    )


def test_a_gb18030_reply_naming_the_ticket_only_in_its_quoted_history_threads_in(
    dispute_case, case_mailbox
):
    escalation = _filed(dispute_case, 0, "2411250000888")
    other = _filed(dispute_case, 1, "2411250000777")
    _send(case_mailbox, (MAIL / "vianet_reply_gb18030_ticket_in_quote.eml").read_bytes())
    [note] = _upstream_notes(escalation)
    assert "确属重复计费" in note.body and "上海𠮷祥科技有限公司" in note.body  # GB18030, 4 bytes
    assert "2411250000888" in note.quoted_history and "2411250000888" not in note.body
    assert note.author == "support@oe.21vianet.com"
    escalation.refresh_from_db()
    assert escalation.last_answer_at is not None and escalation.status == EscalationStatus.FILED
    assert _upstream_notes(other) == []
    assert not escalation.case.messages.filter(
        visibility=Visibility.PUBLIC, body__contains="重复计费"
    ).exists()  # never shown to the customer


def test_a_ticket_number_in_full_width_digits_between_full_width_marks_threads_in(
    dispute_case, case_mailbox
):
    """Subject 答复：工单（２４１１２５００００８８９）、请查收 (nothing in the body)."""
    escalation = _filed(dispute_case, 0, "2411250000889")
    _send(case_mailbox, (MAIL / "vianet_reply_fullwidth_ticket.eml").read_bytes())
    [note] = _upstream_notes(escalation)
    assert "（２４１１２５００００８８９）" in note.body and "处理完毕" in note.body


def _vianet_mail(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "世纪互联支持 <support@oe.21vianet.com>"
    message["To"] = "support@cspbilling.localhost"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="oe.21vianet.com")
    message.set_content(body, charset="gb18030")
    return message.as_bytes()


def test_our_reference_glued_to_chinese_text_threads_in(dispute_case):
    escalation = _filed(dispute_case, 0, "2411250000890")
    raw = _vianet_mail(
        "关于贵司的请求", f"您好，参考号{escalation.reference}的请求已收到，正在处理。"
    )
    assert do_ingest_email(raw=raw).outcome == "upstream_note"
    assert len(_upstream_notes(escalation)) == 1


def test_a_reply_naming_two_of_our_tickets_is_refused_clearly(dispute_case):
    one = _filed(dispute_case, 0, "2411250000891")
    two = _filed(dispute_case, 1, "2411250000892")
    raw = _vianet_mail("工单答复", "您好：工单 2411250000891、2411250000892 均已核实。")
    result = do_ingest_email(raw=raw)
    assert result.outcome == "triage" and "names several escalations" in result.reason
    assert _upstream_notes(one) == [] and _upstream_notes(two) == []
    triage = Case.objects.get(reference=result.reference)
    assert triage.customer_id is None  # never answered: no customer's contact wrote it
    why = triage.messages.get(visibility=Visibility.INTERNAL)
    assert one.reference in why.body and two.reference in why.body and "by hand" in why.body
    assert not triage.messages.filter(visibility=Visibility.PUBLIC, author_kind="staff").exists()


def test_a_reply_naming_none_of_our_tickets_is_refused_clearly(dispute_case):
    _filed(dispute_case, 0, "2411250000893")
    raw = _vianet_mail("您的服务请求", "您好，您的请求已处理完毕。工单号：2499999999999")
    result = do_ingest_email(raw=raw)
    assert result.outcome == "triage" and "names none of our escalations" in result.reason
    triage = Case.objects.get(reference=result.reference)
    assert "names none of our escalations" in triage.messages.get(visibility="internal").body
