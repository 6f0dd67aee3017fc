"""Demo data: synced from the sandbox, plus one login per role. Safe to run again."""

from __future__ import annotations

from typing import Any

from cspbilling.accounts.models import Role, User
from cspbilling.cases.demo import load_demo_cases
from cspbilling.customers.models import Customer
from cspbilling.escalations.demo import load_demo_escalations

DEMO_PASSWORDS: dict[str, tuple[str, str]] = {
    "admin": ("demo-admin-2026", Role.ADMIN),
    "finance": ("demo-finance-2026", Role.FINANCE),
    "support": ("demo-support-2026", Role.SUPPORT),
    "auditor": ("demo-readonly-2026", Role.READ_ONLY),
    "customer": ("demo-customer-2026", Role.CUSTOMER),
}


def load_demo_data(*, stdout: Any = None) -> str:
    from cspbilling.collections.demo import collections_demo
    from cspbilling.partnercenter.client import PartnerCenterClient
    from cspbilling.sync.services import sync_from_partner_center
    from cspbilling.upstream.services import do_fetch_invoices

    with PartnerCenterClient.from_settings() as client:
        report = sync_from_partner_center(client=client, actor="demo")
        batches = do_fetch_invoices(actor="demo", client=client)
    _create_demo_logins()
    issued, drafts = _bill_the_upstream_months()
    _credit_and_fapiao_examples()
    _payment_examples()
    suspended = _suspend_one_for_non_payment()
    collections = collections_demo()
    return (
        f"{Customer.objects.count()} customers "
        f"({report.customers['created']} new), "
        f"{report.subscriptions['created']} new subscriptions, "
        f"{len(batches)} upstream invoice imports, "
        f"{issued} invoices issued and {drafts} drafts to review"
        + (f", suspended {suspended} for non-payment" if suspended else "")
        + load_demo_cases()
        + (f", {collections}" if collections else "")
        + load_demo_escalations()
    )


def _bill_the_upstream_months() -> tuple[int, int]:
    """A price rule for everyone, a billing run per month 21Vianet billed, and every month but
    the latest issued: the demo shows issued invoices and drafts waiting for review."""
    import datetime as dt
    from decimal import Decimal

    from cspbilling.invoicing.models import Invoice, InvoiceStatus, PriceRule, TaxCategory
    from cspbilling.invoicing.services import (
        do_create_price_rule,
        do_issue_invoices,
        do_run_billing,
    )
    from cspbilling.upstream.models import UpstreamInvoice

    if not PriceRule.objects.exists():
        do_create_price_rule(
            actor="demo",
            name="Cloud services at list price +8%",
            method="percent",
            percent=Decimal(8),
            tax_category=TaxCategory.objects.get(code="cloud-services"),
            effective_from=dt.date(2015, 1, 1),
        )
    months = sorted(
        {
            start.replace(day=1)
            for start in UpstreamInvoice.objects.exclude(billing_period_start=None).values_list(
                "billing_period_start", flat=True
            )
        }
    )
    for month in months:
        do_run_billing(period=month, actor="demo")
    for month in months[:-1]:
        drafts = list(Invoice.objects.filter(period=month, status=InvoiceStatus.DRAFT))
        if drafts:
            do_issue_invoices(invoices=drafts, actor="demo")
    issued = Invoice.objects.filter(status=InvoiceStatus.ISSUED).count()
    return issued, Invoice.objects.filter(status=InvoiceStatus.DRAFT).count()


def _credit_and_fapiao_examples() -> None:
    """The portal customer's invoices show a fapiao issued, one requested, and a credit note."""
    from decimal import Decimal

    from cspbilling.invoicing.models import CreditNote, Fapiao, Invoice, InvoiceStatus
    from cspbilling.invoicing.services import (
        do_credit_invoice,
        do_record_fapiao_issued,
        do_request_fapiao,
    )

    customer = Customer.objects.order_by("id").first()
    invoices = list(
        Invoice.objects.filter(customer=customer, status=InvoiceStatus.ISSUED).order_by("period")
    )
    if not invoices or Fapiao.objects.exists() or CreditNote.objects.exists():
        return
    oldest, latest = invoices[0], invoices[-1]
    fapiao = do_request_fapiao(invoice=oldest, kind="general", actor="demo")
    do_record_fapiao_issued(
        fapiao=fapiao,
        number=f"2633200000{oldest.pk:010d}",
        issued_on=oldest.issued_on,
        actor="demo",
    )
    if latest != oldest:
        do_request_fapiao(invoice=latest, kind="general", actor="demo")
    line = max(latest.lines.all(), key=lambda line: line.net_minor)
    if line.net_minor >= 200:
        do_credit_invoice(
            invoice=latest,
            reason="Seats returned within the cancellation window",
            amounts={line.pk: (Decimal(line.net_minor) / 200).quantize(Decimal("0.01"))},
            actor="demo",
        )


def _payment_examples() -> None:
    """Payments for a newcomer to look at: most customers paid in full, some in part, one paid
    too much (credit), one payment bounced (reversed)."""
    from cspbilling.core.money import from_minor_units
    from cspbilling.payments import balances
    from cspbilling.payments.models import Payment
    from cspbilling.payments.services import do_record_payment, do_reverse_payment

    if Payment.objects.exists():
        return
    customers = list(Customer.objects.order_by("id"))
    for n, customer in enumerate(customers):
        owed = balances.open_invoices(customer, customer.currency)
        if not owed or n % 5 == 4:  # every fifth pays nothing: something to collect
            continue
        oldest, minor = owed[0]
        if n % 5 == 1:
            minor //= 2  # a partial payment
        elif n % 5 == 2:
            minor += 10_000  # 100.00 too much: credit for the next invoice
        payment = do_record_payment(
            customer=customer,
            amount=from_minor_units(minor, oldest.currency),
            currency=oldest.currency,
            received_on=oldest.issued_on,
            method="bank_transfer" if n % 2 else "alipay",
            reference=f"{oldest.number} 付款",
            actor="demo",
        )
        if n == 3:
            do_reverse_payment(
                payment=payment, reason="Bounced: the payer's account was closed", actor="demo"
            )


def _create_demo_logins() -> None:
    from cspbilling.accounts.services import do_create_user

    first_customer = Customer.objects.order_by("id").first()
    for username, (password, role) in DEMO_PASSWORDS.items():
        if User.objects.filter(username=username).exists():
            continue
        do_create_user(
            username=username,
            password=password,
            role=role,
            customer=first_customer if role == Role.CUSTOMER else None,
            email=f"{username}@demo.cspbilling.localhost",
        )


def _suspend_one_for_non_payment() -> str:
    """One suspended subscription, so the suspension pages and the portal notice have a case."""
    from cspbilling.notifications.models import MessageKind
    from cspbilling.notifications.services import do_deliver_pending_now
    from cspbilling.subscriptions.models import (
        OPEN_SUSPENSION_STATUSES,
        Subscription,
        Suspension,
    )
    from cspbilling.subscriptions.services import do_suspend_subscription

    # The sandbox starts afresh with each demo, so a suspension from an earlier run was seen
    # as reactivated upstream by the sync: make a new one.
    if Suspension.objects.filter(status__in=OPEN_SUSPENSION_STATUSES).exists():
        return ""
    customer = Customer.objects.order_by("id").first()
    candidate = (
        Subscription.objects.filter(customer=customer, status="active", parent_subscription_id="")
        .order_by("id")
        .first()
    )
    if candidate is None:
        return ""
    suspension = do_suspend_subscription(
        subscription=candidate,
        reason="non_payment",
        actor="demo",
        note="Demo: invoice overdue by 45 days",
    )
    # Carry the commands out now (the parent's and its add-ons'), so the sandbox agrees at once.
    do_deliver_pending_now(kind=MessageKind.PARTNER_CENTER, worker_id="demo")
    return f"{suspension.subscription} of {customer}"
