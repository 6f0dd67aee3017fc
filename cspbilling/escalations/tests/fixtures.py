"""Fixtures of escalations tests: a dispute case whose invoice lines bill 21Vianet lines, the
sandbox's 21Vianet side over HTTP, the case mailbox listening over SMTP, and a clock to move."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv


@pytest.fixture
def dispute_case(make_case, issued_invoice, customer_a):
    """dispute_case(line=0) -> a dispute case on customer_a's October invoice (lines of 100.00
    and 50.05 CNY at cost + 6 % VAT), naming invoice line `line` and holding its amount."""

    invoice = issued_invoice(amounts=("100", "50.05"), customer=customer_a)

    def make(line: int = 0, **kwargs):
        invoice_line = invoice.lines.order_by("pk")[line]
        kwargs.setdefault("subject", "十月发票重复计费 Duplicate charge on October invoice")
        return make_case(
            category="dispute",
            disputed_invoice=invoice,
            disputed_amount=Decimal(invoice_line.net_minor + invoice_line.tax_minor) / 100,
            invoice_lines=[invoice_line],
            **kwargs,
        )

    make.invoice = invoice
    return make


@pytest.fixture
def vianet(pc_sandbox):
    """The sandbox's 21Vianet side over HTTP: .file_in_portal(title, customer) -> ticket,
    .email(ticket, text, port), .note(ticket, text), .api(enabled)."""

    class Vianet:
        base = pc_sandbox.base_url

        def file_in_portal(self, *, title: str, description: str = "", customer=None) -> str:
            tenant = next(iter(pc_sandbox.state.world.customers))
            reply = httpx.post(
                f"{self.base}/_sandbox/servicerequests",
                json={"customer_id": tenant, "title": title, "description": description},
            )
            assert reply.status_code == 201, reply.text
            return reply.json()["id"]

        def email(self, ticket: str, *, text: str, port: int, subject: str | None = None) -> dict:
            body = {"to": "support@cspbilling.localhost", "smtp_port": port, "text": text}
            if subject:
                body["subject"] = subject
            reply = httpx.post(f"{self.base}/_sandbox/servicerequests/{ticket}/email", json=body)
            assert reply.status_code == 200, reply.text
            return reply.json()

        def note(self, ticket: str, text: str, status: str = "attention_needed") -> None:
            reply = httpx.post(
                f"{self.base}/_sandbox/servicerequests/{ticket}/notes",
                json={"text": text, "status": status},
            )
            assert reply.status_code == 200, reply.text

        def api(self, enabled: bool = True) -> None:
            with pc_sandbox.state.lock:
                pc_sandbox.state.cloud = "global"
            reply = httpx.post(
                f"{self.base}/_sandbox/servicerequests/api", json={"enabled": enabled}
            )
            assert reply.status_code == 200

    return Vianet()


@pytest.fixture
def case_mailbox():
    """cspbilling's mailbox (`mail serve`) listening over SMTP; yields its port."""
    from cspbilling.cases.intake.smtp import start_listener
    from cspbilling.notifications.tests.fixtures import free_port

    port = free_port()
    controller = start_listener("127.0.0.1", port)
    yield port
    controller.stop()


def credit_file(tmp_path, customer, rows: list[tuple[str, str]], *, invoice: str = "D0NOV2026"):
    """A later 21Vianet reconciliation file (its November invoice `invoice`) with lines
    (subscription, amount before tax)."""
    made = []
    for i, (subscription, amount) in enumerate(rows, start=1):
        row = license_row(
            i,
            tenant=str(customer.tenant_id),
            qty=1,
            price=amount,
            tax="0",
            invoice=invoice,
        )
        row.update(
            SubscriptionId=subscription,
            SyndicationPartnerSubscriptionNumber=subscription,
            ChargeStartDate="2026-11-01",
            ChargeEndDate="2026-11-30",
            ChargeType="Credit",
            Currency="CNY",
        )
        made.append(row)
    return write_csv(tmp_path / f"{invoice}.csv", LICENSE_HEADER, made)


def filed_escalation(dispute_case, vianet, line=0):
    """The dispute case's escalation, filed in the sandbox's portal with its ticket number."""
    from cspbilling.escalations.services import do_escalate_case, do_record_ticket_number

    escalation = do_escalate_case(case=dispute_case(line=line), actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title)
    return do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")


@pytest.fixture
def sandbox_dispute(pc_sandbox, pc_client, make_customer, issued_invoice, make_case, vianet):
    """A customer of the sandbox's 21Vianet whose October invoice (100.00 at cost + 6 % VAT, on
    one of its sandbox subscriptions) it disputes; the escalation filed in the portal. Helpers:
    .credit_next_invoice(amount, charge_type) (the 21Vianet side puts a line on its next invoice,
    which we fetch over HTTP: the import matches credits), .bill(issue=False) (the billing run
    of that invoice's month, for this customer; its draft issued if asked), .credited() (what
    the customer was credited, tax included, in minor units: its issued credit notes and the
    negative lines of its invoices)."""
    import httpx
    from django.db.models import Sum

    from cspbilling.escalations.services import do_escalate_case, do_record_ticket_number
    from cspbilling.invoicing.models import CreditNote, Invoice, InvoiceLine
    from cspbilling.invoicing.services import do_issue_invoices, do_run_billing
    from cspbilling.upstream.models import UpstreamLineItem
    from cspbilling.upstream.services import do_fetch_invoices

    pc_sandbox.reset(customers=4)
    with pc_sandbox.state.lock:
        tenant, subscription = next(
            (cid, sid)
            for cid, subs in pc_sandbox.state.world.subscriptions.items()
            for sid, sub in subs.items()
            if sub["status"] == "active" and not sub.get("parentSubscriptionId")
        )
    customer = make_customer(tenant_id=tenant, language="en")
    invoice = issued_invoice(amounts=("100",), customer=customer)
    UpstreamLineItem.objects.filter(customer_tenant_id=tenant).update(subscription_id=subscription)
    invoice.lines.update(subscription_id=subscription)
    line = invoice.lines.get()
    case = make_case(
        customer=customer,
        category="dispute",
        disputed_invoice=invoice,
        disputed_amount=Decimal("106.00"),
        invoice_lines=[line],
    )
    escalation = do_escalate_case(case=case, actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title)
    escalation = do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")

    class Scenario:
        pass

    s = Scenario()
    s.customer, s.invoice, s.case, s.escalation = customer, invoice, case, escalation
    s.tenant, s.subscription, s.period = tenant, subscription, None

    def credit_next_invoice(amount: str, charge_type: str = "Credit") -> dict:
        base = pc_sandbox.base_url
        queued = httpx.post(
            f"{base}/_sandbox/invoices",
            json={
                "kind": "credit",
                "customer_id": tenant,
                "subscription_id": subscription,
                "amount": amount,
                "charge_type": charge_type,
            },
        )
        assert queued.status_code == 202, queued.text
        issued = httpx.post(f"{base}/_sandbox/invoices", json={"kind": "invoice"}).json()
        s.period = dt.date.fromisoformat(issued["billingPeriodStartDate"][:10])
        do_fetch_invoices(actor="t", invoice_id=issued["id"], client=pc_client)
        return issued

    def bill(issue: bool = False):
        run = do_run_billing(period=s.period, customer=customer, actor="t")
        assert run.status == "succeeded", run.error
        draft = Invoice.objects.filter(customer=customer, period=s.period, status="draft").first()
        if issue and draft is not None:
            [draft] = do_issue_invoices(invoices=[draft], actor="t", on=s.period.replace(day=28))
        return run, draft

    def credited() -> int:
        notes = CreditNote.objects.filter(customer=customer, status="issued").aggregate(
            total=Sum("total_minor")
        )["total"]
        lines = InvoiceLine.objects.filter(invoice__customer=customer, net_minor__lt=0).aggregate(
            net=Sum("net_minor"), tax=Sum("tax_minor")
        )
        return (notes or 0) - (lines["net"] or 0) - (lines["tax"] or 0)

    s.credit_next_invoice, s.bill, s.credited = credit_next_invoice, bill, credited
    return s
