"""Upstream lines for billing tests, written straight to the tables the import fills."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import ROUND_HALF_UP, Decimal

from cspbilling.upstream.models import ImportBatch, UpstreamInvoice, UpstreamLineItem

_numbers = itertools.count(1)


def upstream_invoice(period: dt.date, currency: str = "CNY") -> tuple[UpstreamInvoice, ImportBatch]:
    number = next(_numbers)
    invoice = UpstreamInvoice.objects.create(
        invoice_id=f"D0TEST{number:04d}",
        billing_period_start=period,
        billing_period_end=(period + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
        currency=currency,
    )
    batch = ImportBatch.objects.create(source="file", status="imported", kind="license")
    return invoice, batch


def add_lines(invoice: UpstreamInvoice, batch: ImportBatch, rows: list[dict]) -> list[int]:
    """rows: tenant (uuid or str), subscription, offer, amount (Decimal), quantity, and
    optionally durable_offer, charge_type, charge_start, charge_end, currency, unit_price (the
    upstream's; none if not given)."""
    created = []
    for n, row in enumerate(rows, start=2):
        amount = Decimal(row["amount"])
        cents = int((amount * 100).quantize(Decimal(1), ROUND_HALF_UP))
        created.append(
            UpstreamLineItem(
                invoice=invoice,
                batch=batch,
                kind="license",
                line_number=n,
                customer_tenant_id=uuid.UUID(str(row["tenant"])) if row.get("tenant") else None,
                customer_number=row.get("customer_number", ""),
                subscription_id=row.get("subscription", "sub-1"),
                offer_id=row.get("offer", "MS-AZR-0001"),
                durable_offer_id=row.get("durable_offer", ""),
                offer_name=row.get("offer_name", "Office 365 E3"),
                charge_type=row.get("charge_type", "Cycle fee"),
                charge_start=row.get("charge_start", invoice.billing_period_start),
                charge_end=row.get("charge_end", invoice.billing_period_end),
                unit_price=None if row.get("unit_price") is None else Decimal(row["unit_price"]),
                quantity=Decimal(row.get("quantity", 1)),
                amount=amount,
                tax=Decimal(0),
                total=amount,
                currency=row.get("currency", invoice.currency),
                amount_minor=cents,
                tax_minor=0,
                total_minor=cents,
                source="[]",
            )
        )
    return [line.pk for line in UpstreamLineItem.objects.bulk_create(created)]
