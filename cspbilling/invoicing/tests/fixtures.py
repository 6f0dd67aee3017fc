"""Fixtures of invoicing tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cspbilling.invoicing.models import TaxCategory


@pytest.fixture
def cloud(db) -> TaxCategory:
    """The cloud services tax category (6%). A migration adds it; a transactional test's flush
    removes it for the tests after it, so it is put back here."""
    category, _ = TaxCategory.objects.get_or_create(
        code="cloud-services", defaults={"name": "Cloud services", "rate": Decimal("0.0600")}
    )
    return category


@pytest.fixture
def issued_invoice(make_customer, cloud):
    """issued_invoice(amounts=("100", "50.05"), customer=None, period=None, **customer_fields)
    -> an issued Invoice of that customer (or a new one) for October 2026 (or the month
    `period`), one line per amount (a subscription each), priced at cost + 6 % VAT, issued on
    the 3rd of the next month (2026-11-03)."""
    from cspbilling.invoicing.models import Invoice
    from cspbilling.invoicing.services import (
        do_create_price_rule,
        do_issue_invoices,
        do_run_billing,
    )
    from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

    october = dt.date(2026, 10, 1)
    rule_made = []

    def make(amounts=("100", "50.05"), customer=None, period=None, **customer_fields) -> Invoice:
        period = period or october
        if not rule_made:
            do_create_price_rule(
                actor="t",
                name="at cost",
                method="percent",
                percent="0",
                tax_category=cloud,
                effective_from=dt.date(2026, 1, 1),
            )
            rule_made.append(True)
        customer = customer or make_customer(**customer_fields)
        invoice, batch = upstream_invoice(period)
        add_lines(
            invoice,
            batch,
            [
                {"tenant": customer.tenant_id, "amount": amount, "subscription": f"sub-{n}"}
                for n, amount in enumerate(amounts)
            ],
        )
        do_run_billing(period=period, customer=customer, actor="t")
        draft = Invoice.objects.get(customer=customer, status="draft")
        issue_on = (period + dt.timedelta(days=32)).replace(day=3)
        [issued] = do_issue_invoices(invoices=[draft], actor="t", on=issue_on)
        return issued

    return make
