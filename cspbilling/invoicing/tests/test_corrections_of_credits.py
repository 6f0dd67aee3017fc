"""FOUND WHILE FIXING UNIT PRICES, NOT FIXED (a failing test for the lead): when 21Vianet
re-issues an invoice and a credit line we already passed on grows, the customer is never given
the extra credit. `corrections._credit` caps what it credits at what is left on the line,
`min(-difference, left)`, and a credit line's `left` is negative: nothing is drafted, and the
retrace marks the new upstream line billed, so no later run bills it either."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cspbilling.invoicing.models import CreditNote, Invoice
from cspbilling.invoicing.services import do_create_price_rule, do_issue_invoices, do_run_billing
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, TENANT_A, license_row, write_csv

FEBRUARY = dt.date(2024, 2, 1)


def _import(tmp_path, name: str, credit_seats: int) -> None:
    rows = [
        license_row(1, qty=3),
        license_row(2, qty=credit_seats, charge="Cancel instance prorate"),
    ]
    path = write_csv(tmp_path / name, LICENSE_HEADER, rows)
    do_import_reconciliation_file(path=path, actor="t", invoice_id="D02005YFHI")


@pytest.mark.django_db
def test_a_credit_21vianet_makes_bigger_is_passed_on_to_the_customer(
    tmp_path, make_customer, cloud
):
    make_customer("北京星辰科技有限公司", tenant_id=TENANT_A)
    do_create_price_rule(
        actor="t",
        name="+10%",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2024, 1, 1),
    )
    _import(tmp_path, "v1.csv", credit_seats=-1)  # 301.50 charged, 100.50 credited
    do_run_billing(period=FEBRUARY, actor="t")
    [issued] = do_issue_invoices(
        invoices=list(Invoice.objects.all()), actor="t", on=dt.date(2024, 3, 5)
    )
    assert issued.subtotal == Decimal("221.10")  # 331.65 - 110.55
    _import(tmp_path, "v2.csv", credit_seats=-2)  # 21Vianet now credits 201.00

    run = do_run_billing(period=FEBRUARY, actor="t")
    assert run.summary["corrections"]["corrected_lines"] == 2  # a re-import: new line ids
    # 100.50 more credit upstream, +10 %: the customer is owed 110.55 more (+6.63 VAT).
    credit = CreditNote.objects.get(invoice=issued)
    assert (credit.subtotal, credit.tax) == (Decimal("110.55"), Decimal("6.63"))
