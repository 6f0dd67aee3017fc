"""A fixed unit price bills the share of a full period and the sign the upstream lines carry: a
cancellation credit is credited, a part-month purchase is billed for its days (through a
billing run, on the draft's lines)."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import do_create_price_rule, do_run_billing
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice

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
