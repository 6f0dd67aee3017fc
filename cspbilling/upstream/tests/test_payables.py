"""Payments to 21Vianet, open balances, aging and the due-date warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.upstream import selectors
from cspbilling.upstream.models import UpstreamInvoice, UpstreamPayment
from cspbilling.upstream.services import PaymentError, do_record_upstream_payment

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = dt.date(2024, 6, 15)


def invoice(invoice_id: str, total: str, due: dt.date | None) -> UpstreamInvoice:
    return UpstreamInvoice.objects.create(
        invoice_id=invoice_id,
        currency="CNY",
        total_charges=Decimal(total),
        due_date=due,
        invoice_date=due - dt.timedelta(days=30) if due else None,
    )


def test_payment_is_recorded_with_audit_and_closes_the_invoice():
    inv = invoice("D1", "1000.00", dt.date(2024, 6, 20))
    do_record_upstream_payment(
        invoice=inv, amount=Decimal("400.00"), paid_on=TODAY, reference="TT-1", actor="finance"
    )
    assert selectors.open_balance(inv) == Decimal("600.00")
    do_record_upstream_payment(
        invoice=inv, amount=Decimal("600.00"), paid_on=TODAY, reference="TT-2", actor="finance"
    )
    inv.refresh_from_db()
    assert inv.status == "paid" and selectors.open_balance(inv) == Decimal("0.00")
    assert AuditEvent.objects.filter(action="upstream.payment.recorded").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": Decimal("-1")}, "positive"),
        ({"amount": Decimal("0")}, "positive"),
        ({"amount": Decimal("1.001")}, "more than 2 decimal places"),
        ({"amount": Decimal("1000.01")}, "more than the open balance"),
        ({"currency": "USD"}, "the invoice is in CNY, not USD"),
        ({"reference": "  "}, "reference is required"),
        ({"reference": "DUP"}, "already recorded"),
        ({"paid_on": dt.date(86, 1, 1)}, "must be between"),
        ({"paid_on": dt.date(5570, 1, 1)}, "must be between"),
        ({"amount": Decimal("852000000000000"), "confirm_overpayment": True}, "more than 2×"),
        ({"amount": Decimal("2000.01"), "confirm_overpayment": True}, "more than 2×"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(kwargs, message):
    inv = invoice("D2", "1000.00", dt.date(2024, 6, 20))
    do_record_upstream_payment(
        invoice=inv, amount=Decimal("1"), paid_on=TODAY, reference="DUP", actor="f"
    )
    before = (UpstreamPayment.objects.count(), AuditEvent.objects.count())
    args = {
        "invoice": inv,
        "amount": Decimal("10"),
        "paid_on": TODAY,
        "reference": "NEW",
        "actor": "f",
        **kwargs,
    }
    with pytest.raises(PaymentError, match=message):
        do_record_upstream_payment(**args)
    assert (UpstreamPayment.objects.count(), AuditEvent.objects.count()) == before


def test_overpayment_needs_confirmation():
    inv = invoice("D3", "100.00", dt.date(2024, 6, 20))
    do_record_upstream_payment(
        invoice=inv,
        amount=Decimal("150.00"),
        paid_on=TODAY,
        reference="OVER",
        actor="f",
        confirm_overpayment=True,
    )
    assert selectors.open_balance(inv) == Decimal("-50.00")


def test_aging_due_soon_and_dashboard_warnings():
    invoice("CUR", "10.00", dt.date(2024, 6, 20))  # due in 5 days
    invoice("LATER", "20.00", dt.date(2024, 7, 30))  # due in 45 days
    invoice("O15", "30.00", dt.date(2024, 5, 31))  # 15 days late
    invoice("O45", "40.00", dt.date(2024, 5, 1))
    invoice("O75", "50.00", dt.date(2024, 4, 1))
    invoice("O120", "60.00", dt.date(2024, 2, 16))
    aging = selectors.aging(today=TODAY)["CNY"]
    assert aging == {
        "current": Decimal("30.00"),
        "1-30": Decimal("30.00"),
        "31-60": Decimal("40.00"),
        "61-90": Decimal("50.00"),
        "90+": Decimal("60.00"),
    }
    assert [r["invoice"].invoice_id for r in selectors.due_within(today=TODAY, days=7)] == ["CUR"]
    warnings = selectors.payables_warnings(today=TODAY, within_days=7)
    assert {w["invoice_id"]: w["level"] for w in warnings} == {
        "CUR": "warning",
        "O15": "danger",
        "O45": "danger",
        "O75": "danger",
        "O120": "danger",
    }
    assert "due in 5 day(s)" in next(w["message"] for w in warnings if w["invoice_id"] == "CUR")


def test_control_characters_in_a_reference_become_spaces():
    inv = invoice("D4", "100.00", dt.date(2024, 6, 20))
    payment = do_record_upstream_payment(
        invoice=inv, amount=Decimal("10"), paid_on=TODAY, reference="TT\r\n-9\x00", actor="f"
    )
    assert payment.reference == "TT  -9"
