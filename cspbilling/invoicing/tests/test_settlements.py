"""Upstream lines settled outside billing: no billing run bills them (each lists them unbilled,
with the reason); one billed on a draft is taken off it, the draft priced as a run would price
it; one billed on an issued invoice is refused; settling again for the same reference changes
nothing. Audited, in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from cspbilling.audit.models import AuditEvent
from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    Invoice,
    SettledUpstreamLine,
    UnbilledReason,
)
from cspbilling.invoicing.services import (
    SettlementError,
    do_create_price_rule,
    do_issue_invoices,
    do_run_billing,
    settle_upstream_line,
)
from cspbilling.invoicing.tests.upstream_lines import add_lines, upstream_invoice
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv

pytestmark = pytest.mark.django_db
NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture
def november(make_customer, cloud):
    """Contoso's November: a charge of 200.00 and, on the same charge, credits of -30.00 and
    -20.005 (one invoice line of three upstream lines), priced +10 % + 6 % VAT."""
    do_create_price_rule(
        actor="t",
        name="everyone +10 %",
        method="percent",
        percent="10",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(NOVEMBER)
    ids = add_lines(
        invoice,
        batch,
        [
            {"tenant": contoso.tenant_id, "subscription": "e3", "amount": "200"},
            {"tenant": contoso.tenant_id, "subscription": "e3", "amount": "-30"},
            {"tenant": contoso.tenant_id, "subscription": "e3", "amount": "-20.005"},
        ],
    )
    return contoso, ids


def _settle(line_id: int, reference: str = "ESC-2026-0001", reason: str = "credited by CN-1"):
    with transaction.atomic(durable=True):
        return settle_upstream_line(
            upstream_line_id=line_id, reason=reason, reference=reference, actor="finance1"
        )


def test_a_settled_line_is_never_billed_and_each_run_says_why(november):
    contoso, (charge, credit, other) = november
    settled = _settle(credit)
    assert _settle(credit) == settled  # again, same reference: nothing more
    assert AuditEvent.objects.filter(action="upstream_line.settled_outside_billing").count() == 1
    with pytest.raises(SettlementError, match="settled already: credited by CN-1"):
        _settle(credit, reference="ESC-2026-0002")
    with pytest.raises(SettlementError, match="say how the customer got it"):
        _settle(other, reason="  ")

    for _ in range(2):
        run = do_run_billing(period=NOVEMBER, actor="t")
        assert run.summary["unbilled_by_reason"] == {UnbilledReason.SETTLED_OUTSIDE_BILLING: 1}
        assert run.summary["billed_lines"] == 2
        [line] = Invoice.objects.get(customer=contoso).lines.all()
        assert line.upstream_amount_micro == 179_995_000  # 200 - 20.005
        assert (line.net_minor, line.tax_minor) == (19799, 1188)  # 197.9945 → 197.99, 6 %


def test_a_line_billed_on_a_draft_is_taken_off_it_as_a_run_would(november):
    contoso, (charge, credit, other) = november
    do_run_billing(period=NOVEMBER, actor="t")
    draft = Invoice.objects.get(customer=contoso)
    assert draft.lines.get().net_minor == 16499  # 149.995 * 1.1 = 164.9945

    _settle(credit)
    draft.refresh_from_db()
    [line] = draft.lines.all()
    assert not BilledUpstreamLine.objects.filter(upstream_line_id=credit).exists()
    assert (line.upstream_lines, line.upstream_amount_micro) == (2, 179_995_000)
    assert (line.net_minor, line.tax_minor) == (19799, 1188)
    assert (draft.subtotal_minor, draft.tax_minor, draft.total_minor) == (19799, 1188, 20987)
    assert draft.upstream_cost_micro == 179_995_000
    event = AuditEvent.objects.get(action="upstream_line.settled_outside_billing")
    assert event.after["taken_off_draft"]["line_before"] == {"net_minor": 16499, "tax_minor": 990}

    again = do_run_billing(period=NOVEMBER, actor="t")  # the run makes the very same draft
    remade = Invoice.objects.get(customer=contoso)
    assert (remade.subtotal_minor, remade.total_minor) == (19799, 20987)
    assert again.summary["unbilled_by_reason"] == {UnbilledReason.SETTLED_OUTSIDE_BILLING: 1}


def test_a_draft_left_without_lines_goes(make_customer, cloud):
    do_create_price_rule(
        actor="t",
        name="at cost",
        method="percent",
        percent="0",
        tax_category=cloud,
        effective_from=dt.date(2026, 1, 1),
    )
    contoso = make_customer("Contoso")
    invoice, batch = upstream_invoice(NOVEMBER)
    [credit] = add_lines(invoice, batch, [{"tenant": contoso.tenant_id, "amount": "-100"}])
    do_run_billing(period=NOVEMBER, actor="t")
    assert Invoice.objects.filter(customer=contoso).count() == 1
    _settle(credit)
    assert not Invoice.objects.filter(customer=contoso).exists()
    assert SettledUpstreamLine.objects.get().upstream_line_id == credit


def test_a_line_billed_on_an_issued_invoice_is_refused(november):
    contoso, (charge, credit, other) = november
    do_run_billing(period=NOVEMBER, actor="t")
    [issued] = do_issue_invoices(invoices=[Invoice.objects.get(customer=contoso)], actor="t")
    with pytest.raises(SettlementError, match=f"issued invoice {issued.number}"):
        _settle(credit)
    assert not SettledUpstreamLine.objects.exists()
    assert not AuditEvent.objects.filter(action="upstream_line.settled_outside_billing").exists()


def _november_file(tmp_path, tenant, charge: str, *, name: str):
    """21Vianet's November invoice D0NOV2026 as a file: a charge and a credit of -100.00."""
    rows = []
    for i, (price, kind) in enumerate(((charge, "Cycle fee"), ("-100.00", "Credit")), start=1):
        row = license_row(i, tenant=str(tenant), qty=1, price=price, tax="0", invoice="D0NOV2026")
        row.update(
            ChargeType=kind,
            ChargeStartDate="2026-11-01",
            ChargeEndDate="2026-11-30",
            SyndicationPartnerSubscriptionNumber="e3",
            Currency="CNY",
        )
        rows.append(row)
    return write_csv(tmp_path / name, LICENSE_HEADER, rows)


def test_a_settled_line_follows_a_reissue_of_its_invoice(tmp_path, make_customer, cloud):
    """21Vianet re-issues the invoice (another line changed): every line gets a new id; the
    settlement follows the credit, which is still not billed."""
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
    _settle(credit.pk)
    do_import_reconciliation_file(
        path=_november_file(tmp_path, contoso.tenant_id, "210.00", name="v2.csv"), actor="t"
    )
    again = UpstreamLineItem.objects.get(charge_type="Credit")
    assert again.pk != credit.pk
    assert SettledUpstreamLine.objects.get().upstream_line_id == again.pk
    event = AuditEvent.objects.get(action="upstream_line.settlement_retraced")
    assert (event.before["upstream_line"], event.after["upstream_line"]) == (credit.pk, again.pk)

    run = do_run_billing(period=NOVEMBER, actor="t")
    assert run.summary["unbilled_by_reason"] == {UnbilledReason.SETTLED_OUTSIDE_BILLING: 1}
    assert Invoice.objects.get(customer=contoso).subtotal_minor == 21000


def test_the_billing_run_retraces_a_settlement_the_import_did_not(november):
    """Lines replaced without the import's listener (or it failed): the run retraces first."""
    from cspbilling.upstream.models import UpstreamInvoice, UpstreamLineItem

    contoso, (charge, credit, other) = november
    _settle(credit)
    old = UpstreamLineItem.objects.get(pk=credit)
    invoice = UpstreamInvoice.objects.get(pk=old.invoice_id)
    [replaced] = add_lines(
        invoice, old.batch, [{"tenant": contoso.tenant_id, "subscription": "e3", "amount": "-30"}]
    )
    UpstreamLineItem.objects.filter(pk=credit).delete()
    run = do_run_billing(period=NOVEMBER, actor="t")
    assert SettledUpstreamLine.objects.get().upstream_line_id == replaced
    assert run.summary["unbilled_by_reason"] == {UnbilledReason.SETTLED_OUTSIDE_BILLING: 1}
    assert Invoice.objects.get(customer=contoso).subtotal_minor == 19799
