"""21Vianet re-issues an invoice and changes a credit line already passed on: a bigger credit
is credited to the customer on the invoice's charges (a credit note gives back what a line
charged: the credit line charged nothing); a smaller one is billed as a supplement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.invoicing.services import do_run_billing
from cspbilling.invoicing.tests.reissue import FEBRUARY, import_upstream, issued_in_february
from cspbilling.upstream.tests.fixtures import license_row


def _import(tmp_path, name: str, credit_seats: int, seats: int = 3) -> None:
    rows = [
        license_row(1, qty=seats),
        license_row(2, qty=credit_seats, charge="Cancel instance prorate"),
    ]
    import_upstream(tmp_path, name, rows)


def _issued(tmp_path, make_customer, cloud, *, credit_seats: int, seats: int = 3) -> Invoice:
    return issued_in_february(
        make_customer,
        cloud,
        lambda: _import(tmp_path, "v1.csv", credit_seats=credit_seats, seats=seats),
    )


@pytest.mark.django_db
def test_a_credit_21vianet_makes_bigger_is_passed_on_to_the_customer(
    tmp_path, make_customer, cloud
):
    issued = _issued(tmp_path, make_customer, cloud, credit_seats=-1)  # 301.50, 100.50 back
    assert issued.subtotal == Decimal("221.10")  # 331.65 - 110.55
    _import(tmp_path, "v2.csv", credit_seats=-2)  # 21Vianet now credits 201.00

    run = do_run_billing(period=FEBRUARY, actor="t")
    assert run.summary["corrections"]["corrected_lines"] == 2  # a re-import: new line ids
    # 100.50 more credit upstream, +10 %: the customer is owed 110.55 more (+6.63 VAT).
    credit = CreditNote.objects.get(invoice=issued)
    assert (credit.subtotal, credit.tax) == (Decimal("110.55"), Decimal("6.63"))


@pytest.mark.django_db
def test_a_credit_21vianet_makes_smaller_is_billed_as_a_supplement(tmp_path, make_customer, cloud):
    issued = _issued(tmp_path, make_customer, cloud, credit_seats=-2)
    assert issued.subtotal == Decimal("110.55")  # 331.65 - 221.10
    _import(tmp_path, "v2.csv", credit_seats=-1)  # 21Vianet now credits 100.50 only

    do_run_billing(period=FEBRUARY, actor="t")

    assert not CreditNote.objects.filter(invoice=issued).exists()
    supplement = Invoice.objects.get(corrects=issued)
    assert supplement.subtotal == Decimal("110.55")  # what the customer was credited too much


@pytest.mark.django_db
def test_a_credit_bigger_than_the_invoice_can_hold_credits_what_it_can_and_says_the_rest(
    tmp_path, make_customer, cloud, client_for, staff_users
):
    issued = _issued(tmp_path, make_customer, cloud, credit_seats=-1, seats=1)
    assert issued.subtotal == Decimal("0.00")  # 110.55 charged, 110.55 credited
    _import(tmp_path, "v2.csv", credit_seats=-3, seats=1)  # 221.10 more credit, +10 %

    run = do_run_billing(period=FEBRUARY, actor="t")

    # The invoice's one charge has 110.55 left to give back: credited; the rest is said.
    credit = CreditNote.objects.get(invoice=issued)
    assert credit.subtotal == Decimal("110.55")
    assert f"110.55 {issued.currency} more is owed than this invoice can credit" in credit.reason
    # Finance reads it on the run's page, with what to do.
    page = client_for(staff_users["finance"]).get(f"/console/invoices/runs/{run.pk}/")
    text = " ".join(page.content.decode().split())
    assert (
        "Issued invoices 21Vianet corrected: 2 line(s) changed upstream; 1 credit note(s)" in text
    )
    assert "give it to the customer by hand" in text
    assert f"{issued.number}: 110.55 {issued.currency}" in text
