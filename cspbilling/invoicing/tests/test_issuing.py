"""Issuing: gap-free numbers per series and year, due dates from payment terms, never twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import (
    IssueError,
    do_create_price_rule,
    do_issue_invoices,
    do_run_billing,
)
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

OCTOBER = dt.date(2026, 10, 1)
PROJECT = Path(__file__).resolve().parents[3]


def _drafts(make_customer, cloud, count: int) -> list[Invoice]:
    invoice, batch = upstream_invoice(OCTOBER)
    customers = [make_customer(f"C{n}", payment_terms_days=15 + n) for n in range(count)]
    add_lines(invoice, batch, [{"tenant": c.tenant_id, "amount": "100"} for c in customers])
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=OCTOBER, actor="t")
    return list(Invoice.objects.order_by("pk"))


@pytest.mark.django_db
def test_issuing_numbers_in_order_sets_due_dates_and_audits(make_customer, cloud):
    drafts = _drafts(make_customer, cloud, 3)
    issued = do_issue_invoices(invoices=drafts, actor="finance1", on=dt.date(2026, 11, 3))
    assert [i.number for i in issued] == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    first = Invoice.objects.get(number="INV-2026-000001")
    assert (first.status, first.issued_on, first.due_on) == (
        "issued",
        dt.date(2026, 11, 3),
        dt.date(2026, 11, 18),  # C0: 15 days
    )
    assert AuditEvent.objects.filter(action="invoice.issued").count() == 3
    with pytest.raises(IssueError, match="already issued: INV-2026-000001"):
        do_issue_invoices(invoices=[first], actor="finance1")
    assert Invoice.objects.filter(status="issued").count() == 3


@pytest.mark.django_db
def test_a_new_year_starts_a_new_sequence_and_a_refused_batch_takes_no_number(make_customer, cloud):
    a, b, c = _drafts(make_customer, cloud, 3)
    do_issue_invoices(invoices=[a], actor="t", on=dt.date(2026, 12, 31))
    with pytest.raises(IssueError):
        do_issue_invoices(invoices=[b, a], actor="t", on=dt.date(2027, 1, 1))
    issued = do_issue_invoices(invoices=[b, c], actor="t", on=dt.date(2027, 1, 1))
    assert [i.number for i in issued] == ["INV-2027-000001", "INV-2027-000002"]


@pytest.mark.django_db
def test_the_command_line_issues_a_period_and_lists_it_as_json(make_customer, cloud, capsys):
    _drafts(make_customer, cloud, 2)
    call_command("invoices", "list", "--status", "draft", "--json")
    drafts = json.loads(capsys.readouterr().out)
    assert [d["status"] for d in drafts] == ["draft", "draft"] and (
        drafts[0]["subtotal"],
        drafts[0]["tax"],
        drafts[0]["total"],
    ) == ("100.00", "6.00", "106.00")
    call_command("invoices", "issue", "--period", "2026-10")
    assert "2 invoice(s) issued" in capsys.readouterr().out
    call_command("invoices", "list", "--period", "2026-10", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert {
        "number",
        "customer_tenant_id",
        "period",
        "status",
        "issued_on",
        "due_on",
        "subtotal",
        "tax",
        "total",
        "currency",
    } <= set(rows[0])
    assert [r["status"] for r in rows] == ["issued", "issued"] and rows[0]["period"] == "2026-10"
    with pytest.raises(CommandError, match="already issued"):
        call_command("invoices", "issue", "--draft", str(rows[0]["id"]))
    with pytest.raises(CommandError, match="no such draft: 999999"):
        call_command("invoices", "issue", "--draft", "999999")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_issuing_at_once_get_unique_gap_free_numbers(
    make_customer, cloud, database_url_for_subprocess
):
    drafts = _drafts(make_customer, cloud, 30)
    env = {**os.environ, "CSPBILLING_DATABASE_URL": database_url_for_subprocess}
    halves = [drafts[0::2], drafts[1::2]]  # interleaved: both want the counter all the time
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cspbilling.cli",
                "invoices",
                "issue",
                "--draft",
                *[str(d.pk) for d in half],
            ],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for half in halves
    ]
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0, out
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 31)]


@pytest.mark.django_db
def test_an_issued_invoice_reaches_the_customer_by_mail_with_its_pdf(
    customer_a, cloud, smtp_server
):
    import io
    from email.header import decode_header, make_header

    from pypdf import PdfReader

    from cspbilling.notifications.models import OutboundMessage
    from cspbilling.notifications.services.delivery import do_deliver_message

    invoice, batch = upstream_invoice(OCTOBER)
    add_lines(invoice, batch, [{"tenant": customer_a.tenant_id, "amount": "100"}])
    do_create_price_rule(
        actor="t",
        name="all",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=OCTOBER, actor="t")
    (issued,) = do_issue_invoices(invoices=list(Invoice.objects.all()), actor="finance1")
    message = OutboundMessage.objects.get(idempotency_key=f"invoice-issued:{issued.number}")
    event = AuditEvent.objects.get(action="invoice.issued")
    assert event.after["emailed_to"] == ["li.wei@contoso.cn"]
    assert do_deliver_message(message_id=message.pk, worker_id="test") == "delivered"
    [received] = smtp_server.received
    subject = str(make_header(decode_header(received["subject"])))
    assert subject == f"演示云伙伴有限公司 账单 {issued.number}"
    parts = {part.get_content_type(): part for part in received.walk()}
    body = parts["text/plain"].get_payload(decode=True).decode("utf-8")
    assert "106.00 CNY" in body and issued.number in body
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == f"{issued.number}.pdf"
    text = PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages[0].extract_text()
    assert "上海康托索科技有限公司" in text


@pytest.mark.django_db
def test_a_customer_without_a_billing_email_is_issued_but_not_mailed(make_customer, cloud):
    from cspbilling.notifications.models import OutboundMessage

    (draft,) = _drafts(make_customer, cloud, 1)
    do_issue_invoices(invoices=[draft], actor="finance1")
    assert not OutboundMessage.objects.exists()
    assert AuditEvent.objects.get(action="invoice.issued").after["emailed_to"] == []
