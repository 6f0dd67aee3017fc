"""Payments: oldest invoices first, overpayments become credit used by the next invoice, credit
notes give paid money back as credit, reversals reopen, refunds never exceed credit; the ledger
and the balances derived from it always agree."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.services import do_credit_invoice
from cspbilling.payments import balances
from cspbilling.payments.models import Allocation, LedgerEntry, Payment
from cspbilling.payments.reevaluation import on_money_changed
from cspbilling.payments.services import (
    PaymentError,
    do_allocate_payment,
    do_record_payment,
    do_refund_credit,
    do_reverse_payment,
)
from cspbilling.payments.transitions import TransitionError

NOV_20 = dt.date(2026, 11, 20)


def _pay(customer, amount, **kw):
    kw = {
        "currency": "CNY",
        "received_on": NOV_20,
        "method": "bank_transfer",
        "reference": "r",
    } | kw
    return do_record_payment(customer=customer, amount=amount, actor="finance1", **kw)


def _open(invoice) -> Decimal:
    return Decimal(balances.open_minor(invoice)).scaleb(-2)


def _consistent(customer) -> None:
    """The ledger's balance is what open invoices come to, less the customer's credit."""
    open_total = sum(minor for _, minor in balances.open_invoices(customer, "CNY"))
    assert balances.balance_minor(customer, "CNY") == open_total - balances.credit_minor(
        customer, "CNY"
    )


@pytest.mark.django_db
def test_a_payment_pays_the_oldest_invoices_first_and_the_rest_is_credit(issued_invoice):
    first = issued_invoice(("100",))  # 106.00
    second = issued_invoice(("50",), customer=first.customer)  # 53.00
    customer = first.customer
    assert balances.balance_minor(customer, "CNY") == 15900
    payment = _pay(customer, "130.00", reference="工行 转账 0042")
    assert (_open(first), _open(second)) == (Decimal("0.00"), Decimal("29.00"))
    _consistent(customer)
    more = _pay(customer, "50")
    assert _open(second) == 0 and balances.credit_minor(customer, "CNY") == 2100
    assert balances.balance_minor(customer, "CNY") == -2100  # we owe it 21.00
    assert AuditEvent.objects.filter(action="payment.recorded").count() == 2
    assert AuditEvent.objects.filter(action="payment.allocated").count() == 3
    assert payment.reference == "工行 转账 0042" and more.amount == Decimal("50.00")

    third = issued_invoice(("100",), customer=customer)  # credit applied when issued
    applied = Allocation.objects.get(invoice=third)
    assert (applied.kind, applied.amount_minor) == ("credit_applied", 2100)
    assert _open(third) == Decimal("85.00") and balances.credit_minor(customer, "CNY") == 0
    _consistent(customer)


@pytest.mark.django_db
def test_a_reversal_reopens_what_the_payment_paid_and_keeps_why(issued_invoice):
    invoice = issued_invoice(("100",))
    payment = _pay(invoice.customer, "106")
    assert _open(invoice) == 0
    with pytest.raises(PaymentError, match="say why"):
        do_reverse_payment(payment=payment, reason=" ", actor="f")
    do_reverse_payment(payment=payment, reason="Bounced: account closed", actor="f")
    assert _open(invoice) == Decimal("106.00")
    assert balances.balance_minor(invoice.customer, "CNY") == 10600
    payment.refresh_from_db()
    assert (payment.status, payment.reversal_reason) == ("reversed", "Bounced: account closed")
    assert AuditEvent.objects.get(action="payment.reversed").after["reopened"] == {
        str(invoice.pk): "106.00"
    }
    with pytest.raises(TransitionError):
        do_reverse_payment(payment=payment, reason="again", actor="f")
    _consistent(invoice.customer)


@pytest.mark.django_db
def test_a_credit_note_on_a_paid_invoice_gives_the_money_back_as_credit(issued_invoice):
    invoice = issued_invoice(("100",))
    _pay(invoice.customer, "106")
    do_credit_invoice(
        invoice=invoice, reason="goodwill", actor="f", amounts={invoice.lines.get().pk: "10"}
    )
    assert _open(invoice) == 0 and balances.credit_minor(invoice.customer, "CNY") == 1060
    assert Allocation.objects.filter(kind="released").get().amount_minor == -1060
    _consistent(invoice.customer)


@pytest.mark.django_db
def test_refunds_take_only_credit_and_bad_input_changes_nothing(issued_invoice, make_customer):
    invoice = issued_invoice(("100",))
    customer = invoice.customer
    _pay(customer, "110")  # 4.00 of credit
    refund = {"currency": "CNY", "refunded_on": NOV_20, "method": "alipay", "reference": "x"}
    with pytest.raises(PaymentError, match="has 4.00 CNY of credit, not 5.00"):
        do_refund_credit(customer=customer, amount="5", reason="asked", actor="f", **refund)
    do_refund_credit(customer=customer, amount="4", reason="asked", actor="f", **refund)
    assert (
        balances.credit_minor(customer, "CNY") == 0 and balances.balance_minor(customer, "CNY") == 0
    )

    counts = (Payment.objects.count(), Allocation.objects.count(), LedgerEntry.objects.count())
    for amount, why in (
        ("0", "more than zero"),
        ("1.001", "not an amount"),
        ("-3", "more than zero"),
        ("1e20", "beyond any payment"),
    ):
        with pytest.raises(PaymentError, match=why):
            _pay(customer, amount)
    with pytest.raises(PaymentError, match="not a day"):
        _pay(customer, "1", received_on=dt.date(2099, 1, 1))
    with pytest.raises(PaymentError, match="unknown payment method"):
        _pay(customer, "1", method="bitcoin")
    other = issued_invoice(("100",))
    with pytest.raises(PaymentError, match="another customer's invoice"):
        _pay(customer, "1", allocate=[(other, "1")])
    assert (Payment.objects.count(), Allocation.objects.count(), LedgerEntry.objects.count()) == (
        counts[0],
        counts[1],
        counts[2] + 1,  # the other customer's invoice
    )


@pytest.mark.django_db
def test_chosen_allocations_never_exceed_the_payment_or_the_invoice(issued_invoice):
    first = issued_invoice(("100",))
    second = issued_invoice(("100",), customer=first.customer)
    payment = _pay(first.customer, "150", allocate="none")
    assert balances.credit_minor(first.customer, "CNY") == 15000
    do_allocate_payment(payment=payment, invoice=second, amount="100", actor="f")
    with pytest.raises(PaymentError, match="has 6.00 left to pay, not 7.00"):
        do_allocate_payment(payment=payment, invoice=second, amount="7", actor="f")
    with pytest.raises(PaymentError, match="50.00 left to allocate, not 60.00"):
        do_allocate_payment(payment=payment, invoice=first, amount="60", actor="f")
    assert _open(second) == Decimal("6.00") and _open(first) == Decimal("106.00")
    _consistent(first.customer)


@pytest.mark.django_db
def test_collections_hears_of_every_change_of_money(issued_invoice):
    heard = []
    on_money_changed(lambda customers, why: heard.extend((c.pk, why) for c in customers))
    invoice = issued_invoice(("100",))
    payment = _pay(invoice.customer, "50")
    do_reverse_payment(payment=payment, reason="recalled", actor="f")
    assert [why for _, why in heard][-3:] == [
        "invoice issued",
        "payment recorded",
        "payment reversed",
    ]


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(1, 40_000)),
        st.tuples(st.just("credit"), st.integers(1, 5_000)),
        st.tuples(st.just("reverse"), st.integers(0, 5)),
        st.tuples(st.just("refund"), st.integers(1, 5_000)),
        st.tuples(st.just("invoice"), st.integers(1, 20_000)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
@pytest.mark.django_db
def test_whatever_happens_the_ledger_and_the_allocations_agree(issued_invoice, operations):
    invoice = issued_invoice(("100",))
    customer = invoice.customer
    invoices = [invoice]
    payments = []
    for op, n in operations:
        if op == "pay":
            payments.append(_pay(customer, Decimal(n).scaleb(-2)))
        elif op == "invoice":
            invoices.append(issued_invoice((str(Decimal(n).scaleb(-2)),), customer=customer))
        elif op == "credit":
            target = invoices[n % len(invoices)]
            line = target.lines.first()
            with contextlib.suppress(ValueError):  # beyond what is left: refused, no change
                do_credit_invoice(
                    invoice=target, reason="r", actor="f", amounts={line.pk: Decimal(n).scaleb(-2)}
                )
        elif op == "reverse" and payments:
            target = payments[n % len(payments)]
            target.refresh_from_db()
            if target.status == "posted":
                do_reverse_payment(payment=target, reason="bounced", actor="f")
        elif op == "refund":
            with contextlib.suppress(PaymentError):
                do_refund_credit(
                    customer=customer,
                    amount=Decimal(n).scaleb(-2),
                    currency="CNY",
                    refunded_on=NOV_20,
                    method="other",
                    reference="",
                    reason="r",
                    actor="f",
                )
        _consistent(customer)
        for each in invoices:
            each.refresh_from_db()
            allocated = balances.allocated_minor(invoice=each)
            assert 0 <= allocated <= each.total_minor - balances.credited_minor(each)
        for each in Payment.objects.filter(customer=customer):
            allocated = balances.allocated_minor(payment=each)
            assert 0 <= allocated <= (each.amount_minor if each.status == "posted" else 0)


@pytest.mark.django_db
def test_the_command_line_records_lists_and_reverses(issued_invoice, capsys):
    import json

    from django.core.management import CommandError, call_command

    invoice = issued_invoice(("100",))
    tenant = str(invoice.customer.tenant_id)
    call_command(
        "payments",
        "record",
        "--customer",
        tenant,
        "--amount",
        "110",
        "--date",
        "2026-11-20",
        "--reference",
        "ICBC 0042",
    )
    assert "110.00 CNY" in capsys.readouterr().out and _open(invoice) == 0
    with pytest.raises(CommandError, match="more than zero"):
        call_command(
            "payments", "record", "--customer", tenant, "--amount", "0", "--date", "2026-11-20"
        )
    call_command("payments", "list", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row | {"amount": "110.00", "allocated": "106.00", "unallocated": "4.00"} == row
    call_command("payments", "reverse", str(row["id"]), "--reason", "bounced")
    assert _open(invoice) == Decimal("106.00")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_processes_allocating_one_payment_never_overallocate_it(
    issued_invoice, database_url_for_subprocess
):
    import os
    import subprocess
    import sys
    from pathlib import Path

    first = issued_invoice(("10",))
    invoices = [first] + [issued_invoice(("10",), customer=first.customer) for _ in range(19)]
    payment = _pay(first.customer, "100.00", allocate="none")
    env = {**os.environ, "CSPBILLING_DATABASE_URL": database_url_for_subprocess}
    halves = [invoices[0::2], invoices[1::2]]  # 10 × 10.00 each: together twice the payment
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cspbilling.cli",
                "payments",
                "allocate",
                str(payment.pk),
                *[arg for inv in half for arg in ("--to", f"{inv.number}=10.00")],
            ],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for half in halves
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    assert balances.allocated_minor(payment=payment) == 10_000  # exactly the payment
    assert sum(out.count(" allocated") for out in outputs) == 10
    assert sum(out.count("refused:") for out in outputs) == 10
    _consistent(first.customer)
