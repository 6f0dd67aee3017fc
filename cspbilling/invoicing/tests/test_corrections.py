"""21Vianet re-issues an invoice we billed from: the issued invoice never changes; the next
billing run puts the difference up for review as a draft credit note or supplementary invoice,
and the discrepancy report says which customer charges lost their upstream lines meanwhile."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.invoicing.models import (
    BilledUpstreamLine,
    CreditNote,
    Invoice,
    UnbilledUpstreamLine,
)
from cspbilling.invoicing.services import do_issue_invoices, do_run_billing
from cspbilling.invoicing.tests.reissue import FEBRUARY, import_upstream, issued_in_february
from cspbilling.upstream import discrepancies
from cspbilling.upstream.models import UpstreamInvoice, UpstreamLineItem
from cspbilling.upstream.tests.fixtures import TENANT_A, license_row


def _import(tmp_path, name: str, quantities: dict[int, int]) -> None:
    import_upstream(tmp_path, name, [license_row(i, qty=qty) for i, qty in quantities.items()])


@pytest.fixture
def issued(tmp_path, make_customer, cloud) -> Invoice:
    """Customer A billed for three subscriptions (3 seats at 100.50 each, +10 %), issued."""
    invoice = issued_in_february(
        make_customer, cloud, lambda: _import(tmp_path, "v1.csv", {1: 3, 2: 3, 3: 3})
    )
    assert UpstreamInvoice.objects.get().billing_period_start == FEBRUARY
    return invoice


@pytest.mark.django_db
def test_a_corrected_invoice_becomes_a_credit_note_and_a_supplementary_invoice_for_review(
    tmp_path, issued
):
    before = (issued.total_minor, issued.lines_count)
    _import(tmp_path, "v2.csv", {1: 2, 2: 4, 3: 3, 4: 1})  # one less seat, one more, a new one
    assert UpstreamInvoice.objects.get().revision == 1

    gone = discrepancies.customer_charges_without_upstream_line(period=FEBRUARY)
    assert len(gone) == 3 and all("re-issued" in row["reason"] for row in gone)
    assert {row["invoice"] for row in gone} == {issued.number}

    run = do_run_billing(period=FEBRUARY, actor="finance1")
    assert run.summary["corrections"] == {
        "corrected_lines": 3,
        "credit_notes": 1,
        "supplementary_invoices": 1,
        "credits_not_passed_on": [],
    }
    issued.refresh_from_db()
    assert (issued.total_minor, issued.lines_count, issued.status) == (*before, "issued")

    credit = CreditNote.objects.get()
    assert (credit.status, credit.origin, credit.invoice_id) == (
        "draft",
        "upstream_correction",
        issued.pk,
    )
    assert credit.subtotal == Decimal("110.55")  # 100.50 × 1.10: one seat less
    assert "instead of 301.5" in credit.reason and "201" in credit.reason

    supplement = Invoice.objects.get(corrects=issued)
    assert (supplement.status, supplement.subtotal) == ("draft", Decimal("110.55"))
    assert supplement.lines.get().corrects_line.invoice_id == issued.pk

    new_charge = Invoice.objects.get(status="draft", corrects=None)
    assert new_charge.subtotal == Decimal("110.55")  # subscription 4: billed as usual

    # Every current upstream line is billed exactly once; nothing is listed as missing.
    current = set(UpstreamLineItem.objects.values_list("id", flat=True))
    traced = list(BilledUpstreamLine.objects.values_list("upstream_line_id", flat=True))
    assert sorted(traced) == sorted(current)
    assert discrepancies.customer_charges_without_upstream_line(period=FEBRUARY) == []
    assert discrepancies.unbilled_upstream_charges(period=FEBRUARY) == []

    again = do_run_billing(period=FEBRUARY, actor="finance1")
    assert again.summary["corrections"]["corrected_lines"] == 0
    assert CreditNote.objects.count() == 1 and Invoice.objects.filter(corrects=issued).count() == 1
    assert again.summary["billed_lines"] + again.summary["unbilled_lines"] == 4


@pytest.mark.django_db
def test_a_charge_21vianet_withdrew_is_credited_whole(tmp_path, issued):
    _import(tmp_path, "v2.csv", {1: 3, 2: 3})  # subscription 3 is gone
    run = do_run_billing(period=FEBRUARY, actor="t")
    assert run.summary["corrections"]["credit_notes"] == 1
    credit = CreditNote.objects.get()
    assert credit.total == Decimal("351.55")  # 331.65 + 19.90 VAT (6 %, half-up)


@pytest.mark.django_db
def test_a_dry_run_shows_the_corrections_and_keeps_none(tmp_path, issued):
    _import(tmp_path, "v2.csv", {1: 2, 2: 3, 3: 3})
    run = do_run_billing(period=FEBRUARY, actor="t", dry_run=True)
    assert run.summary["corrections"]["credit_notes"] == 1
    assert CreditNote.objects.count() == 0
    assert len(discrepancies.customer_charges_without_upstream_line(period=FEBRUARY)) == 3


@pytest.mark.django_db
def test_the_report_gives_each_unbilled_charge_the_reason_of_the_latest_run(
    tmp_path, make_customer, cloud
):
    make_customer("北京星辰科技有限公司", tenant_id=TENANT_A)
    _import(tmp_path, "v1.csv", {1: 3})
    rows = discrepancies.unbilled_upstream_charges(period=FEBRUARY)
    assert [row["reason"][:14] for row in rows] == ["not billed yet"]
    do_run_billing(period=FEBRUARY, actor="t")  # no price rule yet
    assert UnbilledUpstreamLine.objects.get().reason == "no_price_rule"
    rows = discrepancies.unbilled_upstream_charges(period=FEBRUARY)
    assert [row["reason"] for row in rows] == ["No price rule"]


@pytest.mark.django_db
def test_finance_discards_a_supplementary_draft_and_the_customer_is_never_billed_it(
    tmp_path, issued, client_for, staff_users
):
    """21Vianet's correction bills more, and finance absorbs it: the supplementary draft is
    discarded with why (console, audited); no later run drafts it again, it cannot be issued,
    and a month's own draft or an issued invoice cannot be discarded."""
    from django.urls import reverse

    from cspbilling.audit.models import AuditEvent
    from cspbilling.invoicing.services import (
        IssueError,
        SupplementError,
        do_discard_supplementary_invoice,
    )

    _import(tmp_path, "v2.csv", {1: 3, 2: 4, 3: 3, 4: 1})  # one more seat, a new subscription
    do_run_billing(period=FEBRUARY, actor="finance1")
    supplement = Invoice.objects.get(corrects=issued)
    month_draft = Invoice.objects.get(status="draft", corrects=None)
    page = reverse("invoicing:invoice_detail", args=[supplement.pk])
    discard = reverse("invoicing:discard_supplementary_invoice", args=[supplement.pk])

    support = client_for(staff_users["support"])
    assert b'id="discard"' not in support.get(page).content
    assert support.post(discard, {"reason": "absorbed"}).status_code == 403
    client = client_for(staff_users["finance"])
    assert b'id="discard"' in client.get(page).content
    assert (
        b'id="discard"'
        not in client.get(reverse("invoicing:invoice_detail", args=[month_draft.pk])).content
    )
    client.post(discard, {"reason": "  "}, follow=True)
    supplement.refresh_from_db()
    assert supplement.status == "draft"  # no reason: nothing changed
    shown = client.post(discard, {"reason": "Absorbed: our error"}, follow=True)
    assert "Supplementary invoice discarded" in shown.content.decode()
    assert "Discarded: the customer is not billed the difference" in shown.content.decode()
    supplement.refresh_from_db()
    assert supplement.status == "discarded" and supplement.number is None
    event = AuditEvent.objects.get(action="invoice.discarded")
    assert event.after | {"why": "Absorbed: our error", "supplements": issued.number} == (
        event.after
    )
    assert event.actor == "staff-finance"

    with pytest.raises(IssueError, match=f"discarded: #{supplement.pk}"):
        do_issue_invoices(invoices=[supplement], actor="t")
    with pytest.raises(SupplementError, match="not a draft"):
        do_discard_supplementary_invoice(invoice=supplement, actor="t", reason="again")
    with pytest.raises(SupplementError, match="rebuilt by each billing run"):
        do_discard_supplementary_invoice(invoice=month_draft, actor="t", reason="no")
    with pytest.raises(SupplementError, match="rebuilt by each billing run"):
        do_discard_supplementary_invoice(invoice=issued, actor="t", reason="no")
    again = do_run_billing(period=FEBRUARY, actor="finance1")
    assert again.summary["corrections"]["supplementary_invoices"] == 0
    assert Invoice.objects.filter(corrects=issued).count() == 1


@pytest.mark.django_db
def test_the_command_line_discards_a_supplementary_draft_with_a_reason(tmp_path, issued, capsys):
    from django.core.management import CommandError, call_command

    _import(tmp_path, "v2.csv", {1: 3, 2: 4, 3: 3})  # one more seat
    do_run_billing(period=FEBRUARY, actor="finance1")
    supplement = Invoice.objects.get(corrects=issued)
    with pytest.raises(CommandError, match="rebuilt by each billing run"):
        call_command("invoices", "discard", str(issued.pk), "--reason", "no")
    with pytest.raises(CommandError, match="no invoice #999999"):
        call_command("invoices", "discard", "999999", "--reason", "no")
    call_command("invoices", "discard", str(supplement.pk), "--reason", "absorbed")
    assert f"supplementary invoice #{supplement.pk} discarded" in capsys.readouterr().out
    call_command("invoices", "list", "--status", "discarded")
    listed = capsys.readouterr().out
    assert "discarded" in listed and f"(draft #{supplement.pk})" in listed
