"""Named row locks of upstream."""

from __future__ import annotations

from cspbilling.upstream.models import UpstreamInvoice


def lock_upstream_invoice(*, pk: int) -> UpstreamInvoice:
    return UpstreamInvoice.objects.select_for_update().get(pk=pk)
