"""Dispute holds: one open hold per dispute, never more than the invoice, released not deleted,
each change audited."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.collections.models import DisputeHold
from cspbilling.collections.services import (
    HoldError,
    do_place_dispute_hold,
    do_release_dispute_hold,
)


@pytest.mark.django_db(transaction=True)
def test_a_dispute_holds_part_of_an_invoice_until_released(issued_invoice) -> None:
    invoice = issued_invoice(amounts=("100",))  # 106.00 with VAT
    hold = do_place_dispute_hold(
        invoice=invoice,
        amount=Decimal("30"),
        source="case",
        source_ref="CASE-1",
        reason="charged twice",
        actor="agent1",
    )
    assert hold.amount == Decimal("30.00") and hold.is_open
    # The same dispute narrowed: the same hold, a new amount.
    again = do_place_dispute_hold(
        invoice=invoice,
        amount=Decimal("20.50"),
        source="case",
        source_ref="CASE-1",
        reason="one line only",
        actor="agent1",
    )
    assert again.pk == hold.pk and again.amount_minor == 2050
    with pytest.raises(HoldError, match="more than invoice"):
        do_place_dispute_hold(
            invoice=invoice,
            amount=Decimal("106.01"),
            source="case",
            source_ref="CASE-2",
            reason="x",
            actor="agent1",
        )
    with pytest.raises(HoldError, match="more than zero"):
        do_place_dispute_hold(
            invoice=invoice,
            amount=Decimal("0"),
            source="line",
            source_ref="7",
            reason="x",
            actor="agent1",
        )
    [released] = do_release_dispute_hold(
        source="case", source_ref="CASE-1", reason="credit note issued", actor="agent1"
    )
    assert not released.is_open
    assert do_release_dispute_hold(source="case", source_ref="CASE-1", reason="x", actor="a") == []
    assert DisputeHold.objects.count() == 1
    actions = list(
        AuditEvent.objects.filter(action__startswith="collections.").values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "collections.hold_placed",
        "collections.hold_placed",
        "collections.hold_released",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_dispute_spanning_two_invoices_holds_its_part_of_each_and_releases_both(
    issued_invoice,
) -> None:
    first = issued_invoice(amounts=("100",))
    second = issued_invoice(amounts=("50",), customer=first.customer)
    for invoice, amount in ((first, "30"), (second, "20")):
        do_place_dispute_hold(
            invoice=invoice,
            amount=Decimal(amount),
            source="escalation",
            source_ref="ESC-000001",
            reason="escalated",
            actor="agent1",
        )
    held = DisputeHold.objects.filter(released_at=None).order_by("invoice_id")
    assert [(h.invoice_id, h.amount_minor) for h in held] == [(first.pk, 3000), (second.pk, 2000)]
    released = do_release_dispute_hold(
        source="escalation", source_ref="ESC-000001", reason="rejected", actor="agent1"
    )
    assert len(released) == 2 and not DisputeHold.objects.filter(released_at=None).exists()
    assert AuditEvent.objects.filter(action="collections.hold_released").count() == 2
