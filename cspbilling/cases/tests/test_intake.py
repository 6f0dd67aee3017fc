"""Email intake with real .eml files (tests/mail/): Foxmail GBK, Outlook reply with quoted
history, auto-reply, bounce, RFC 2047 subject from an unknown sender; Maildir, SMTP listener
and IMAP poll channels."""

from __future__ import annotations

import email
import mailbox
import smtplib
from email.header import Header
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

from cspbilling.cases.intake.imap import poll_mailbox
from cspbilling.cases.intake.smtp import start_listener
from cspbilling.cases.models import Case, CaseMessage, CaseStatus
from cspbilling.cases.services import do_reply_to_case, do_resolve_case
from cspbilling.cases.services.intake import do_ingest_email
from cspbilling.cases.tests.fixtures import case_emails
from cspbilling.cases.tests.imap_server import ImapServer, Mailbox
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.tests.fixtures import free_port

MAIL = Path(__file__).parent / "mail"


def eml(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def as_reply_to(raw: bytes, reply, *, subject_reference: bool = True) -> bytes:
    """The fixture reply, pointed at a real case and staff message: its threading headers name
    the message's Message-ID; its subject names the case (or not)."""
    message = email.message_from_bytes(raw)
    reference = reply.case.reference
    inner = reply.message_id.strip("<>")
    for header in ("In-Reply-To", "References"):
        value = message[header].replace("case-message%3ACASE-000001%3A2@cspbilling", inner)
        message.replace_header(header, value)
    subject = f"回复: [{reference}] 关于10月发票金额的疑问" if subject_reference else "回复: 发票"
    message.replace_header("Subject", Header(subject, "utf-8").encode())
    return message.as_bytes()


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "uploads")},
        },
    }


@pytest.mark.django_db(transaction=True)
def test_a_foxmail_gbk_message_from_a_known_contact_opens_a_case(customer_a) -> None:
    result = do_ingest_email(raw=eml("foxmail_gbk_new_case.eml"))
    assert result.outcome == "new_case"
    case = Case.objects.get(reference=result.reference)
    assert case.customer == customer_a and case.channel == "email"
    assert case.subject == "关于10月发票金额的疑问"
    assert case.contact_name == "陈喆" and case.contact_email == "li.wei@contoso.cn"
    first = case.messages.order_by("pk").first()
    assert first.message_id == "<tencent_8A3F0E7C2B1D4E5F@qq.com>"
    assert "陈喆 （财务部）" in first.body and "原始邮件" not in first.body
    assert first.quoted_history.startswith("------------------ 原始邮件")
    [attachment] = first.attachments.all()
    assert attachment.filename == "10月采购记录.pdf" and attachment.size == 45
    assert storages["uploads"].open(attachment.storage_name).read().startswith(b"%PDF")
    # The sender is told the reference, in Chinese, threaded under its own message.
    [ack] = case_emails(case)
    assert ack.payload["to"] == ["li.wei@contoso.cn"]
    assert case.reference in ack.payload["subject"] and "已收到" in ack.payload["body"]
    assert ack.payload["headers"]["In-Reply-To"] == "<tencent_8A3F0E7C2B1D4E5F@qq.com>"
    # The same message again (a retry, a second poll): stored once.
    assert do_ingest_email(raw=eml("foxmail_gbk_new_case.eml")).outcome == "duplicate"
    assert Case.objects.count() == 1 and case.messages.filter(author_kind="customer").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("subject_reference", [True, False], ids=["by-subject", "by-headers"])
def test_an_outlook_reply_lands_on_its_case_with_the_history_folded(
    make_case, subject_reference
) -> None:
    case = make_case()
    reply = do_reply_to_case(
        case=case, body="请提供采购订单号。", actor="agent", wait_on_customer=True
    )
    raw = as_reply_to(eml("outlook_reply_quoted.eml"), reply, subject_reference=subject_reference)
    result = do_ingest_email(raw=raw)
    assert (result.outcome, result.reference) == ("message", case.reference)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # no longer waiting: the clock runs again
    last = case.messages.order_by("pk").last()
    assert last.body == "好的，采购订单号是 PO-778。\n\n陈喆"
    assert last.quoted_history.startswith("________________________________\n发件人:")


@pytest.mark.django_db(transaction=True)
def test_a_reply_to_a_resolved_case_reopens_it_or_confirms_it(make_case) -> None:
    case = make_case()
    reply = do_reply_to_case(case=case, body="已核对。", actor="agent")
    do_resolve_case(case=case, resolution="发票已更正。", actor="agent")
    assert do_ingest_email(raw=as_reply_to(eml("outlook_reply_quoted.eml"), reply)).outcome == (
        "reopened"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.reopen_count == 1
    do_resolve_case(case=case, resolution="再次更正。", actor="agent")
    confirm = email.message_from_bytes(as_reply_to(eml("outlook_reply_quoted.eml"), reply))
    confirm.replace_header("Message-ID", "<confirm-1@contoso.cn>")
    confirm.set_payload(None)
    confirm.set_type("text/plain")
    confirm.set_payload("确认\r\n\r\n谢谢！".encode(), charset="utf-8")
    assert do_ingest_email(raw=confirm.as_bytes()).outcome == "confirmed"
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.close_reason == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_auto_replies_bounces_and_loops_never_make_or_answer_cases(
    make_case, smtp_server, deliver_outbox
) -> None:
    case = make_case()
    do_reply_to_case(case=case, body="请提供采购订单号。", actor="agent")
    deliver_outbox()
    [ours] = smtp_server.received  # our own email coming back to the mailbox: a loop
    emails_before = OutboundMessage.objects.filter(kind="email").count()
    messages_before = CaseMessage.objects.count()
    outcomes = [
        do_ingest_email(raw=raw)
        for raw in (eml("auto_reply.eml"), eml("bounce.eml"), ours.as_bytes())
    ]
    assert [o.outcome for o in outcomes] == ["ignored"] * 3
    assert "Auto-Submitted" in outcomes[0].reason
    assert "loop" in outcomes[2].reason
    assert CaseMessage.objects.count() == messages_before and Case.objects.count() == 1
    assert OutboundMessage.objects.filter(kind="email").count() == emails_before


@pytest.mark.django_db(transaction=True)
def test_an_unknown_sender_waits_in_triage_unanswered(customer_a) -> None:
    result = do_ingest_email(raw=eml("rfc2047_subject_unknown_sender.eml"))
    assert result.outcome == "triage"
    case = Case.objects.get(reference=result.reference)
    assert case.customer is None and case.subject == "Question sur la facture（发票）décembre"
    assert case.contact_name == "René Dupré"
    assert "« Azure » de décembre" in case.messages.get().body
    assert not OutboundMessage.objects.filter(kind="email").exists()
    from cspbilling.cases.selectors import queue

    assert list(queue("triage")) == [case]


@pytest.mark.django_db(transaction=True)
def test_mail_ingest_reads_a_maildir_once(customer_a, tmp_path, capsys) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in (
        "foxmail_gbk_new_case.eml",
        "auto_reply.eml",
        "rfc2047_subject_unknown_sender.eml",
    ):
        box.add(eml(name))
    call_command("mail", "ingest", str(tmp_path / "Maildir"))
    out = capsys.readouterr().out
    assert "1 ignored, 1 new_case, 1 triage" in out
    call_command("mail", "ingest", str(tmp_path / "Maildir"))
    assert "no new mail" in capsys.readouterr().out
    assert Case.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_mail_serve_takes_mail_over_smtp(customer_a) -> None:
    port = free_port()
    controller = start_listener("127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail(
                "li.wei@contoso.cn",
                ["support@cspbilling.localhost"],
                eml("foxmail_gbk_new_case.eml"),
            )
    finally:
        controller.stop()
    assert Case.objects.get().subject == "关于10月发票金额的疑问"


@pytest.mark.django_db(transaction=True)
def test_mail_poll_reads_unseen_mail_and_flags_it_seen(customer_a) -> None:
    box = Mailbox("support", "pw")
    box.add(eml("foxmail_gbk_new_case.eml"))
    box.add(eml("bounce.eml"))
    with ImapServer(box) as server:
        outcomes = poll_mailbox(
            host="127.0.0.1", port=server.port, user="support", password="pw", ssl=False
        )
        assert outcomes == {"new_case": 1, "ignored": 1}
        assert all("\\Seen" in mail.flags for mail in box.mails)
        box.add(eml("rfc2047_subject_unknown_sender.eml"))
        again = poll_mailbox(
            host="127.0.0.1", port=server.port, user="support", password="pw", ssl=False
        )
    assert again == {"triage": 1}
    assert Case.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_attachments_over_the_size_limit_are_not_kept_and_staff_are_told(
    customer_a, settings
) -> None:
    settings.CASES_ATTACHMENT_MAX_BYTES = 10
    result = do_ingest_email(raw=eml("foxmail_gbk_new_case.eml"))
    case = Case.objects.get(reference=result.reference)
    assert not case.messages.filter(attachments__isnull=False).exists()
    note = case.messages.get(visibility="internal")
    assert "10月采购记录.pdf: 45 bytes is over the limit" in note.body


def test_the_worker_polls_the_mailbox_only_when_one_is_configured(settings) -> None:
    from cspbilling.core.scheduling import periodic_jobs

    settings.CASES_IMAP = {**settings.CASES_IMAP, "HOST": ""}
    names = [job.name for job in periodic_jobs()]
    assert "cases.auto_close" in names and "cases.sla_warnings" in names
    assert "cases.mail_poll" not in names
    settings.CASES_IMAP = {**settings.CASES_IMAP, "HOST": "imap.partner.example"}
    [poll] = [job for job in periodic_jobs() if job.name == "cases.mail_poll"]
    assert poll.interval().total_seconds() == 120
