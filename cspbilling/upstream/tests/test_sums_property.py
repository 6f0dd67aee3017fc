"""Property: for any file, the stored per-invoice sums equal the file's sums, to the cent.

Each line is stored rounded to the cent; an invoice's total is the exact sum, rounded once.
"""

from __future__ import annotations

import itertools
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspbilling.upstream.models import UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv

pytestmark = pytest.mark.django_db(transaction=True)
COUNTER = itertools.count()

amounts = st.decimals(
    min_value=Decimal("-99999999.999999"), max_value=Decimal("99999999.999999"), places=6
) | st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=2)


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(st.tuples(st.integers(0, 2), amounts, amounts), min_size=1, max_size=40),
    currency=st.sampled_from(["CNY", "元", "USD"]),
)
def test_stored_sums_equal_the_files_sums(rows, currency):
    run = next(COUNTER)
    expected: dict[str, list[int]] = {}
    file_rows = []
    for i, (which, total, tax) in enumerate(rows):
        invoice = f"P{run:05d}-{which}"
        row = license_row(i, invoice=invoice, currency=currency)
        row["TotalForCustomer"], row["Tax"] = str(total), str(tax)
        file_rows.append(row)
        sums = expected.setdefault(invoice, [0, 0, 0, Decimal(0)])
        sums[0] += 1
        sums[1] += cents(total)
        sums[2] += cents(tax)
        sums[3] += total
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "random.csv", LICENSE_HEADER, file_rows)
        do_import_reconciliation_file(path=path, actor="property")
    for invoice_id, (count, total, tax, exact) in expected.items():
        invoice = UpstreamInvoice.objects.get(invoice_id=invoice_id)
        stored = UpstreamLineItem.objects.filter(invoice=invoice).aggregate(
            n=Count("id"), total=Sum("total_minor"), tax=Sum("tax_minor")
        )
        assert (stored["n"], stored["total"], stored["tax"]) == (count, total, tax)
        assert (invoice.lines_count, invoice.lines_total_minor) == (count, cents(exact))
        # The Decimal column, rounded per line, makes the same cents on both engines.
        decimals = UpstreamLineItem.objects.filter(invoice=invoice).values_list("total", flat=True)
        assert sum(cents(Decimal(str(d))) for d in decimals) == total
