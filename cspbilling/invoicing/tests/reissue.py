"""A February invoice of 21Vianet's, billed to customer A at +10 % and issued, then re-issued:
the set-up the correction tests share (`test_corrections*.py`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cspbilling.invoicing.models import Invoice
from cspbilling.invoicing.services import do_create_price_rule, do_issue_invoices, do_run_billing
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, TENANT_A, write_csv

FEBRUARY = dt.date(2024, 2, 1)


def import_upstream(tmp_path, name: str, rows: list[dict]) -> None:
    """21Vianet's invoice D02005YFHI with these reconciliation rows (again: a re-issue)."""
    path = write_csv(tmp_path / name, LICENSE_HEADER, rows)
    do_import_reconciliation_file(path=path, actor="t", invoice_id="D02005YFHI")


def issued_in_february(make_customer, cloud, first_import: Callable[[], None]) -> Invoice:
    """Customer A, a +10 % rule, `first_import()`, February billed and its invoice issued."""
    make_customer("北京星辰科技有限公司", tenant_id=TENANT_A)
    do_create_price_rule(
        actor="t",
        name="+10%",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2024, 1, 1),
    )
    first_import()
    do_run_billing(period=FEBRUARY, actor="t")
    [invoice] = do_issue_invoices(
        invoices=list(Invoice.objects.all()), actor="t", on=dt.date(2024, 3, 5)
    )
    return invoice
