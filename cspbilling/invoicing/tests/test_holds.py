"""Upstream lines held out of billing while someone decides: no billing run bills them (each
lists them unbilled, "held for a decision", with the reason), one on a draft is taken off it;
released, the next run bills them; settled, the settlement replaces the hold; a re-issue of
their invoice is followed. Refused on an issued invoice and for bad input, changing nothing.
Audited, in the caller's transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.models import HeldUpstreamLine, Invoice, UnbilledReason
from cspbilling.invoicing.services import (
    HoldError,
    do_issue_invoices,
    do_run_billing,
    hold_upstream_line,
    release_upstream_line,
    settle_upstream_line,
)
from cspbilling.invoicing.tests.test_settlements import NOVEMBER, _november_file, november

__all__ = ["november"]  # the fixture, used here too
pytestmark = pytest.mark.django_db
REASON = "waiting for finance: possibly escalation ESC-2026-0001's credit"


def _hold(line_id: int, reference: str = "ESC-2026-0001", reason: str = REASON):
    with transaction.atomic(durable=True):
        return hold_upstream_line(
            upstream_line_id=line_id, reason=reason, reference=reference, actor="system"
        )


def _release(line_id: int, reference: str = "ESC-2026-0001", reason: str = "an ordinary credit"):
    with transaction.atomic(durable=True):
        return release_upstream_line(
            upstream_line_id=line_id, reference=reference, reason=reason, actor="finance1"
        )


def test_a_held_line_is_not_billed_until_released(november):
    contoso, (charge, credit, other) = november
    do_run_billing(period=NOVEMBER, actor="t")
    draft = Invoice.objects.get(customer=contoso)
    assert draft.subtotal_minor == 16499  # 149.995 * 1.1

    held = _hold(credit)
    assert _hold(credit) == held  # again, same reference: nothing more
    draft.refresh_from_db()
    assert (draft.subtotal_minor, draft.total_minor) == (19799, 20987)  # without the -30.00
    event = AuditEvent.objects.get(action="upstream_line.held_for_decision")
    assert event.after["reason"] == REASON
    assert event.after["taken_off_draft"]["draft_total_after_minor"] == 20987

    run = do_run_billing(period=NOVEMBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {UnbilledReason.HELD_FOR_DECISION: 1}
    assert Invoice.objects.get(customer=contoso).subtotal_minor == 19799

    assert _release(credit) is True
    assert not HeldUpstreamLine.objects.exists()
    released = AuditEvent.objects.get(action="upstream_line.released_to_billing")
    assert released.before["reason"] == REASON and released.after["reason"] == "an ordinary credit"
    run = do_run_billing(period=NOVEMBER, actor="t")
    assert run.summary["unbilled_lines"] == 0
    assert Invoice.objects.get(customer=contoso).subtotal_minor == 16499  # billed again
    assert _release(credit) is False  # not held: nothing changes


def test_holding_is_refused_with_the_reason_and_changes_nothing(november):
    contoso, (charge, credit, other) = november
    _hold(credit)
    with pytest.raises(HoldError, match="held already"):
        _hold(credit, reference="ESC-2026-0002")
    with pytest.raises(HoldError, match="held for ESC-2026-0001, not ESC-2026-0002"):
        _release(credit, reference="ESC-2026-0002")
    with pytest.raises(HoldError, match="say who decides"):
        _hold(other, reason="   ")
    with pytest.raises(HoldError, match="say why it is billed as usual"):
        _release(credit, reason="")
    assert list(HeldUpstreamLine.objects.values_list("upstream_line_id", flat=True)) == [credit]

    do_run_billing(period=NOVEMBER, actor="t")
    [issued] = do_issue_invoices(invoices=[Invoice.objects.get(customer=contoso)], actor="t")
    with pytest.raises(HoldError, match=f"issued invoice {issued.number}"):
        _hold(other)
    assert AuditEvent.objects.filter(action="upstream_line.held_for_decision").count() == 1


def test_settling_a_held_line_replaces_its_hold(november):
    contoso, (charge, credit, other) = november
    _hold(credit)
    with transaction.atomic(durable=True):
        settle_upstream_line(
            upstream_line_id=credit,
            reason="credited by CN-1",
            reference="ESC-2026-0001",
            actor="finance1",
        )
    assert not HeldUpstreamLine.objects.exists()
    event = AuditEvent.objects.get(action="upstream_line.settled_outside_billing")
    assert event.after["was_held"] == {"reason": REASON, "reference": "ESC-2026-0001"}
    run = do_run_billing(period=NOVEMBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {UnbilledReason.SETTLED_OUTSIDE_BILLING: 1}


def test_a_held_line_follows_a_reissue_of_its_invoice(tmp_path, make_customer, cloud):
    import datetime as dt

    from cspbilling.invoicing.services import do_create_price_rule
    from cspbilling.upstream.models import UpstreamLineItem
    from cspbilling.upstream.services import do_import_reconciliation_file

    do_create_price_rule(
        actor="t",
        name="at cost",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    contoso = make_customer("Contoso")
    do_import_reconciliation_file(
        path=_november_file(tmp_path, contoso.tenant_id, "200.00", name="v1.csv"), actor="t"
    )
    credit = UpstreamLineItem.objects.get(charge_type="Credit")
    _hold(credit.pk)
    do_import_reconciliation_file(
        path=_november_file(tmp_path, contoso.tenant_id, "210.00", name="v2.csv"), actor="t"
    )
    again = UpstreamLineItem.objects.get(charge_type="Credit")
    assert again.pk != credit.pk
    assert HeldUpstreamLine.objects.get().upstream_line_id == again.pk
    event = AuditEvent.objects.get(action="upstream_line.hold_retraced")
    assert (event.before["upstream_line"], event.after["upstream_line"]) == (credit.pk, again.pk)

    run = do_run_billing(period=NOVEMBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {UnbilledReason.HELD_FOR_DECISION: 1}
    assert Invoice.objects.get(customer=contoso).subtotal_minor == 21000


def test_a_hold_on_a_line_21vianet_took_off_can_still_be_released(november):
    from cspbilling.upstream.models import UpstreamLineItem

    contoso, (charge, credit, other) = november
    _hold(credit)
    UpstreamLineItem.objects.filter(pk=credit).delete()  # gone from a re-issue, no replacement
    assert _release(credit) is True
    assert not HeldUpstreamLine.objects.exists()
    assert AuditEvent.objects.filter(action="upstream_line.released_to_billing").count() == 1
