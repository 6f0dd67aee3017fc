"""What customer invoicing tells the discrepancy report: which upstream charges were not billed
(and why), and which customer charges have no upstream line. The invoicing app registers its
reader here when it starts (upstream never imports invoicing); without one, nothing was billed.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class BillingReader(Protocol):
    def unbilled_upstream_charges(self, *, period: dt.date, limit: int | None) -> list[dict]:
        """Rows of: customer_tenant_id, customer_number, subscription_id, customer_name, lines,
        amount (Decimal), currency, reason."""

    def customer_charges_without_upstream_line(self, *, period: dt.date) -> list[dict]:
        """Rows of: invoice, invoice_id, customer_name, subscription_id, offer, amount
        (Decimal, net), currency, reason."""


_reader: BillingReader | None = None


def register_billing_reader(reader: BillingReader) -> None:
    global _reader
    _reader = reader


def billing_reader() -> BillingReader | None:
    return _reader
