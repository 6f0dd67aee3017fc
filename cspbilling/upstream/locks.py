"""Named row locks of upstream, always taken in primary-key order."""

from __future__ import annotations

from collections.abc import Iterable

from cspbilling.upstream.models import UpstreamInvoice


def lock_upstream_invoice(*, pk: int) -> UpstreamInvoice:
    return UpstreamInvoice.objects.select_for_update().get(pk=pk)


def lock_upstream_invoice_by_number(*, invoice_id: str) -> UpstreamInvoice | None:
    """The invoice with this 21Vianet number, locked; None when we do not have it yet."""
    return UpstreamInvoice.objects.select_for_update().filter(invoice_id=invoice_id).first()


def lock_upstream_invoices(*, invoice_ids: Iterable[str]) -> dict[str, UpstreamInvoice]:
    """These invoices (by 21Vianet number), locked in primary-key order: two imports naming the
    same invoices never wait on each other in a cycle."""
    locked = (
        UpstreamInvoice.objects.select_for_update()
        .filter(invoice_id__in=list(invoice_ids))
        .order_by("pk")
    )
    return {invoice.invoice_id: invoice for invoice in locked}
