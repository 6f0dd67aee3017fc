"""Demo cases: one in each state (the escalated one is the escalations demo's: only an escalation
to 21Vianet makes a case escalated), a dispute holding collections, one unknown sender in triage,
and one that arrived by email: a customer's Foxmail message (GB18030) dropped into the inbound
side of the local mail catcher (the Maildir VAR_DIR/mail/inbound, which `cspbilling mail
ingest` reads) and ingested from there. Safe to run again: nothing is added twice."""

from __future__ import annotations

from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from django.conf import settings

from cspbilling.cases.models import Case


def _customer_email(*, sender: str, name: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = settings.CASES_MAILBOX_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    message["X-Mailer"] = "Foxmail 7.2.25.228[cn]"
    message.set_content(body, charset="gb18030")
    return message.as_bytes()


def _drop_into_inbound(folder: Path, raw: bytes) -> None:
    import mailbox

    folder.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(folder, create=True).add(raw)


def load_demo_cases(*, mail_dir: Path | None = None) -> str:
    from cspbilling.accounts.models import User
    from cspbilling.cases.intake.maildir import ingest_maildir
    from cspbilling.cases.services import (
        do_add_note,
        do_assign_case,
        do_confirm_resolution,
        do_open_case,
        do_rate_case,
        do_reply_to_case,
        do_resolve_case,
        do_save_canned_response,
    )
    from cspbilling.customers.models import BillingContact
    from cspbilling.invoicing.models import Invoice

    if Case.objects.exists():
        return f", {Case.objects.count()} support cases"
    contacts = list(
        BillingContact.objects.exclude(email="").select_related("customer").order_by("id")[:3]
    )
    if not contacts:
        return ""
    agent = User.objects.filter(username="support").first()
    inbound = (mail_dir or Path(settings.VAR_DIR) / "mail") / "inbound"
    first = contacts[0]
    _drop_into_inbound(
        inbound,
        _customer_email(
            sender=first.email,
            name="陈喆",
            subject="关于上月发票金额的疑问",
            body="您好，\n\n上月发票中 Microsoft 365 E3 的数量比我们的订单多了 5 个，"
            "请帮忙核对。\n\n"
            "陈喆 （财务部）",
        ),
    )
    _drop_into_inbound(
        inbound,
        _customer_email(
            sender="someone@unknown.example",
            name="Someone",
            subject="Invoice copy",
            body="Please send me a copy of our invoice.",
        ),
    )
    ingest_maildir(inbound)

    def open_one(contact, subject, body, category="invoice_question", **extra) -> Case:
        return do_open_case(
            customer=contact.customer,
            subject=subject,
            body=body,
            category=category,
            channel="portal",
            actor="demo",
            contact_email=contact.email,
            **extra,
        )

    second = contacts[min(1, len(contacts) - 1)]
    do_open_case(
        customer=second.customer,
        subject="Payment sent on the 3rd not shown",
        body="We paid by bank transfer on the 3rd; the portal still shows the invoice as open.",
        category="payment",
        channel="console",
        actor="support",
        author_kind="staff",
        contact_email=second.email,
    )
    waiting = open_one(first, "发票抬头需要修改", "请将发票抬头改为我们的新公司名称。")
    usage = open_one(second, "Azure usage higher than expected", "October Azure usage doubled.")
    resolved = open_one(
        first,
        "Credit for cancelled licences",
        "We cancelled 3 licences.",
        category="refund_or_credit",
    )
    closed = open_one(second, "Invoice PDF missing", "The September PDF does not open.")
    by_email = Case.objects.filter(channel="email", customer=first.customer).first()
    for case in (by_email, waiting, usage, resolved, closed):
        if agent and case is not None:
            do_assign_case(case=case, assignee=agent, actor="support")
    do_reply_to_case(
        case=waiting,
        body="请提供新的营业执照扫描件，谢谢。",
        actor="support",
        wait_on_customer=True,
    )
    do_add_note(case=usage, body="Ask 21Vianet for the usage lines.", actor="support")
    do_resolve_case(
        case=resolved, resolution="A credit note for the 3 licences is on its way.", actor="support"
    )
    do_resolve_case(
        case=closed, resolution="The PDF is regenerated; download it again.", actor="support"
    )
    do_confirm_resolution(case=closed, actor=second.email, channel="email")
    do_rate_case(case=closed, rating=5, actor=second.email)
    invoice = Invoice.objects.filter(customer=first.customer, status="issued").first()
    if invoice is not None and invoice.total_minor > 100:
        open_one(
            first,
            f"{invoice.number} charged twice",
            "One line appears twice.",
            category="dispute",
            disputed_invoice=invoice,
            disputed_amount=(invoice.total / 2).quantize(Decimal("0.01")),
            invoices=[invoice],
        )
    for language, body in (
        ("zh-hans", "您好，我们已收到您的问题，正在核对，将尽快回复您。"),
        ("en", "Hello, we received your question and are checking it; we will reply shortly."),
        (
            "fr",
            "Bonjour, nous avons bien reçu votre question et la vérifions ; nous revenons "
            "vers vous rapidement.",
        ),
    ):
        do_save_canned_response(name="We are checking", language=language, body=body, actor="demo")
    by_mail = Case.objects.filter(channel="email").count()
    return f", {Case.objects.count()} support cases ({by_mail} arrived by email)"
