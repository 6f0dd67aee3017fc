"""A fixed unit price bills the share of a full period and the sign the upstream lines carry: a
cancellation credit is credited, a part-month purchase is billed for its days (through a
billing run, on the draft's lines)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from cspbilling.core.money import to_minor_units
from cspbilling.customers.models import Customer
from cspbilling.invoicing.models import Invoice, InvoiceLine, TaxCategory
from cspbilling.invoicing.pricing import period_fraction, price_by_unit, upstream_list
from cspbilling.invoicing.services import (
    do_create_price_rule,
    do_issue_invoices,
    do_run_billing,
    settle_upstream_line,
    upstream_line_billing,
)
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice
from cspbilling.upstream.models import UpstreamLineItem

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)
# Bought or cancelled on the 22nd: the last 10 of October's 31 days.
LAST_TEN_DAYS = {"charge_start": dt.date(2026, 10, 22), "charge_end": dt.date(2026, 10, 31)}


def _unit_price_rule(cloud, price: str, **scope):
    return do_create_price_rule(
        actor="finance1",
        name=f"E3 at {price}",
        method="unit_price",
        unit_price=price,
        currency="CNY",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
        **scope,
    )


def _draft_lines(customer) -> tuple[Invoice, dict[str, tuple[int, int]]]:
    """The customer's draft, and (net, tax) in fen of each of its lines by subscription."""
    draft = Invoice.objects.get(customer=customer, status="draft")
    return draft, {
        line.subscription_id: (line.net_minor, line.tax_minor) for line in draft.lines.all()
    }


@pytest.fixture
def e3_october(make_customer):
    """Five E3 seats at 93.00 a month upstream, on four subscriptions: a whole month; bought on
    the 22nd (10/31 of 465.00 = 150.00); cancelled on the 22nd, credited back as 21Vianet writes
    it both ways (negative quantity, or positive quantity and negative amount)."""
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    seats = {"tenant": contoso.tenant_id, "unit_price": "93", "quantity": 5}
    add_lines(
        invoice,
        batch,
        [
            {**seats, "subscription": "e3-month", "charge_type": "Cycle fee", "amount": "465"},
            {
                **seats,
                **LAST_TEN_DAYS,
                "subscription": "e3-bought",
                "charge_type": "Prorate fees when purchase",
                "amount": "150",
            },
            {
                **seats,
                **LAST_TEN_DAYS,
                "subscription": "e3-cancelled",
                "charge_type": "Cancel instance prorate",
                "quantity": -5,
                "amount": "-150",
            },
            {
                **seats,
                **LAST_TEN_DAYS,
                "subscription": "e3-refunded",
                "charge_type": "Cancel instance prorate",
                "amount": "-150",
            },
        ],
    )
    return contoso


def test_a_unit_price_bills_the_share_of_the_period_and_the_sign_upstream_carries(
    e3_october, cloud
):
    _unit_price_rule(cloud, "124")
    do_run_billing(period=OCTOBER, actor="finance1")
    draft, lines = _draft_lines(e3_october)
    assert lines == {
        "e3-month": (62000, 3720),  # 5 × 124.00; VAT 6 %
        "e3-bought": (20000, 1200),  # 5 × 124.00 × 10/31 days
        "e3-cancelled": (-20000, -1200),  # credited, not charged
        "e3-refunded": (-20000, -1200),  # whichever sign the quantity has
    }
    assert (draft.subtotal_minor, draft.tax_minor, draft.total_minor) == (42000, 2520, 44520)


def test_a_percent_rule_on_the_same_lines_follows_the_upstream_amount(e3_october, cloud):
    do_create_price_rule(
        actor="finance1",
        name="everyone +10%",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    do_run_billing(period=OCTOBER, actor="finance1")
    draft, lines = _draft_lines(e3_october)
    assert lines == {
        "e3-month": (51150, 3069),
        "e3-bought": (16500, 990),
        "e3-cancelled": (-16500, -990),
        "e3-refunded": (-16500, -990),
    }
    assert draft.total_minor == 51150 - 16500 + 3069 - 990


def test_lines_without_an_upstream_price_free_lines_and_mixed_prices(make_customer, cloud):
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    who = {"tenant": contoso.tenant_id}
    add_lines(
        invoice,
        batch,
        [
            # No upstream unit price (usage, adjustments): the rule's price × quantity, signed
            # like the amount.
            {**who, "subscription": "no-price", "quantity": 3, "amount": "-30"},
            {**who, "subscription": "zero-price", "unit_price": "0", "quantity": 3, "amount": "30"},
            # Free upstream (a trial; free until the first billing day): free here.
            {**who, "subscription": "free", "unit_price": "0", "quantity": 5, "amount": "0"},
            {**who, "subscription": "free-days", "unit_price": "93", "quantity": 5, "amount": "0"},
            {**who, "subscription": "no-seats", "unit_price": "93", "quantity": 0, "amount": "0"},
            # One charge at two upstream prices, both for 10/31 of the month: 186.00 listed
            # each, 60.00 billed each; the share is 120/372 of five seats.
            {
                **who,
                **LAST_TEN_DAYS,
                "subscription": "mixed",
                "unit_price": "93",
                "quantity": 2,
                "amount": "60",
            },
            {
                **who,
                **LAST_TEN_DAYS,
                "subscription": "mixed",
                "unit_price": "62",
                "quantity": 3,
                "amount": "60",
            },
        ],
    )
    _unit_price_rule(cloud, "124")
    do_run_billing(period=OCTOBER, actor="finance1")
    _, lines = _draft_lines(contoso)
    assert lines == {
        "no-price": (-37200, -2232),
        "zero-price": (37200, 2232),
        "free": (0, 0),
        "free-days": (0, 0),
        "no-seats": (0, 0),
        "mixed": (20000, 1200),
    }


def test_a_prorated_price_is_rounded_once_half_up_and_a_credit_mirrors_its_charge(
    make_customer, cloud
):
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    who = {"tenant": contoso.tenant_id, "unit_price": "8", "quantity": 1}
    # An eighth of the period at 1.00: 0.125 → 0.13, never 0.12 (nor 0.13 of a rounded share).
    add_lines(
        invoice,
        batch,
        [
            {**who, "subscription": "charge", "amount": "1"},
            {**who, "subscription": "credit", "amount": "-1"},
        ],
    )
    _unit_price_rule(cloud, "1")
    do_run_billing(period=OCTOBER, actor="finance1")
    _, lines = _draft_lines(contoso)
    # VAT 6 % of ±0.13 = ±0.0078 → ±0.01, signed like the net.
    assert lines == {"charge": (13, 1), "credit": (-13, -1)}


def test_ten_million_units_at_a_price_of_six_decimals_are_summed_exactly(make_customer, cloud):
    """Their list (unit price × quantity, 12 decimals) is past what a BIGINT holds in 10**-12 and
    what a float holds exactly: it is summed in parts, as the Decimal reference sums it."""
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    usage = {"tenant": contoso.tenant_id, "unit_price": "0.999999"}
    add_lines(
        invoice,
        batch,
        [
            {**usage, "quantity": "12345678.123456", "amount": "12345665.777778"},
            {**usage, "quantity": "-0.999999", "amount": "-0.999998"},
        ],
    )
    _unit_price_rule(cloud, "0.012345")
    do_run_billing(period=OCTOBER, actor="finance1")
    line = InvoiceLine.objects.get()
    listed = upstream_list(
        [
            (Decimal("0.999999"), Decimal("12345678.123456")),
            (Decimal("0.999999"), Decimal("-0.999999")),
        ]
    )
    reference = price_by_unit(
        quantity=Decimal("12345677.123457"),
        unit_price=Decimal("0.012345"),
        tax_rate=Decimal("0.06"),
        currency="CNY",
        upstream_amount=Decimal("12345664.77778"),
        upstream_list=listed,
    )
    assert line.net_minor == to_minor_units(reference.net) == 15240738
    assert line.period_fraction == Decimal("1.000000")


def test_a_correction_from_21vianet_is_priced_for_its_days(make_customer, cloud):
    """21Vianet re-issues a purchase billed for 10 days as 20: the supplementary invoice bills
    the 10 more days (at a whole period's quantity × price, nothing would have changed)."""
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    bought = {"tenant": contoso.tenant_id, "unit_price": "93", "quantity": 5}
    [first] = add_lines(invoice, batch, [{**bought, **LAST_TEN_DAYS, "amount": "150"}])
    _unit_price_rule(cloud, "124")
    do_run_billing(period=OCTOBER, actor="finance1")
    [issued] = do_issue_invoices(
        invoices=list(Invoice.objects.all()), actor="finance1", on=dt.date(2026, 11, 3)
    )
    assert issued.subtotal_minor == 20000
    UpstreamLineItem.objects.filter(pk=first).delete()  # as a re-import replaces the lines
    add_lines(invoice, batch, [{**bought, **LAST_TEN_DAYS, "amount": "300"}])

    run = do_run_billing(period=OCTOBER, actor="finance1")
    assert run.summary["corrections"]["supplementary_invoices"] == 1
    supplement = Invoice.objects.get(corrects=issued)
    assert (supplement.subtotal_minor, supplement.tax_minor) == (20000, 1200)


def test_a_line_settled_outside_billing_is_taken_off_a_draft_priced_for_its_days(
    make_customer, cloud
):
    """Two purchases on one charge, 5 and 2 seats for 10 of 31 days (one line: 7 × 124.00 ×
    10/31 = 280.00); the 2 seats settled elsewhere: 80.00 of it, and the line bills 200.00."""
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(OCTOBER)
    bought = {"tenant": contoso.tenant_id, "unit_price": "93", **LAST_TEN_DAYS}
    five, two = add_lines(
        invoice,
        batch,
        [{**bought, "quantity": 5, "amount": "150"}, {**bought, "quantity": 2, "amount": "60"}],
    )
    _unit_price_rule(cloud, "124")
    do_run_billing(period=OCTOBER, actor="finance1")
    assert InvoiceLine.objects.get().net_minor == 28000
    with transaction.atomic(durable=True):
        assert upstream_line_billing(upstream_line_id=two).net_minor == 8000
        settle_upstream_line(
            upstream_line_id=two, reason="credited by CN-1", reference="ESC-1", actor="finance1"
        )
    line = InvoiceLine.objects.get()
    assert (line.net_minor, line.tax_minor, line.quantity) == (20000, 1200, 5)
    assert Invoice.objects.get().subtotal_minor == 20000


# Random months priced by one fixed unit price, on the database of the run: every line is the
# Decimal reference over the upstream lines it traces (the list summed in SQL is exact).
upstream_line = st.fixed_dictionaries(
    {
        "subscription": st.sampled_from(["s1", "s2"]),
        "charge_type": st.sampled_from(["Cycle fee", "Cancel instance prorate"]),
        "unit_price": st.one_of(
            st.none(),
            st.just(Decimal(0)),
            st.decimals(min_value=Decimal(0), max_value=Decimal(99999), places=6),
        ),
        "quantity": st.one_of(
            st.integers(-5, 500), st.decimals(min_value=-50, max_value=5000, places=6)
        ),
        "amount": st.one_of(
            st.sampled_from([Decimal(0), Decimal("0.125"), Decimal("-2.675")]),
            st.decimals(min_value=Decimal(-99999), max_value=Decimal(99999), places=6),
        ),
    }
)


class TestUnitPriceInvariants(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        lines=st.lists(upstream_line, min_size=1, max_size=12),
        price=st.decimals(min_value=Decimal(0), max_value=Decimal(99999), places=6),
    )
    def test_every_line_is_the_reference_price_of_the_lines_it_bills(self, lines, price):
        cloud, _ = TaxCategory.objects.get_or_create(
            code="cloud-services", defaults={"name": "Cloud", "rate": Decimal("0.06")}
        )
        customer = Customer.objects.create(tenant_id=uuid.uuid4(), company_name="C")
        invoice, batch = upstream_invoice(OCTOBER)
        add_lines(invoice, batch, [{**row, "tenant": customer.tenant_id} for row in lines])
        _unit_price_rule(cloud, price)
        do_run_billing(period=OCTOBER, actor="t")
        draft = Invoice.objects.get()
        for line in draft.lines.all():
            billed = UpstreamLineItem.objects.filter(
                id__in=line.billed_upstream_lines.values("upstream_line_id")
            )
            rows = list(billed.values_list("amount", "quantity", "unit_price"))
            amount = sum((a for a, _, _ in rows), Decimal(0))
            listed = upstream_list((p, q) for _, q, p in rows)
            reference = price_by_unit(
                quantity=sum((q for _, q, _ in rows), Decimal(0)),
                unit_price=price,
                tax_rate=Decimal("0.06"),
                currency="CNY",
                upstream_amount=amount,
                upstream_list=listed,
            )
            assert (line.net_minor, line.tax_minor) == (
                to_minor_units(reference.net),
                to_minor_units(reference.tax),
            )
            expected = period_fraction(upstream_amount=amount, upstream_list=listed)
            assert line.period_fraction == expected
        assert draft.subtotal_minor == sum(x.net_minor for x in draft.lines.all())
