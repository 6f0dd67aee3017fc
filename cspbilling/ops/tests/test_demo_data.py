"""The demo's data, loaded from the sandbox as `cspbilling demo` loads it: a newcomer finds
issued invoices to open, trace and download, and drafts to review."""

from __future__ import annotations

import pytest

from cspbilling.invoicing.models import BilledUpstreamLine, Invoice
from cspbilling.ops.demo import load_demo_data


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_has_issued_invoices_traced_to_upstream_lines_and_drafts(
    pc_sandbox, settings, cloud
):
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
    }
    said = load_demo_data()
    issued = Invoice.objects.filter(status="issued")
    assert issued.exists() and Invoice.objects.filter(status="draft").exists(), said
    assert "invoices issued" in said
    first = issued.order_by("number").first()
    assert first.number.startswith("INV-") and first.total_minor > 0
    assert BilledUpstreamLine.objects.filter(invoice_line__invoice=first).exists()
    # The portal customer has a fapiao issued, one requested, and a credit note to read.
    from cspbilling.invoicing.models import CreditNote, Fapiao

    assert set(Fapiao.objects.values_list("status", flat=True)) == {"issued", "requested"}
    note = CreditNote.objects.get(origin="manual")  # the escalations demo adds a 21Vianet one
    assert note.status == "issued" and note.customer.portal_users.exists()
    # Payments: in full, in part, too much (credit), one reversed.
    from cspbilling.payments.models import Allocation, Payment

    assert Payment.objects.filter(status="reversed").count() == 1
    assert Payment.objects.filter(status="posted").count() >= 3
    assert Allocation.objects.filter(kind="allocated").exists()
    # Collections: a customer at each stage of the default policy, by today's run.
    from cspbilling.collections.models import Action

    stages = set(Action.objects.values_list("stage__code", flat=True))
    assert stages == {"reminder", "second-notice", "final-notice", "suspension"}, said
