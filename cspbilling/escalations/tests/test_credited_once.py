"""21Vianet's credit for an upheld escalation reaches the customer exactly once: through the
escalation's credit note or through the billing run, never both, whichever comes first. The
real flow: the sandbox's 21Vianet over HTTP puts the credit on its next invoice, the import
fetches it, the billing run bills that month. What the customer sees is counted: its issued
credit notes and the negative lines of its invoices (`sandbox_dispute.credited`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cspbilling.api.tests.helpers import get
from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import CaseStatus, DisputeOutcome
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.selectors import for_customer_case
from cspbilling.escalations.services import do_match_credits, do_record_upheld
from cspbilling.invoicing.models import (
    CreditNote,
    Invoice,
    SettledUpstreamLine,
    UnbilledReason,
)
from cspbilling.invoicing.services import do_create_price_rule, do_issue_invoices
from cspbilling.upstream.discrepancies import unbilled_upstream_charges

pytestmark = pytest.mark.django_db(transaction=True)


def _unchanged_by_running_again(s) -> None:
    """Matching and billing again change nothing the customer sees, and settle nothing more."""
    credited, settled = s.credited(), SettledUpstreamLine.objects.count()
    invoices = sorted(Invoice.objects.filter(customer=s.customer).values_list("total_minor"))
    assert do_match_credits() == []
    s.bill()
    assert s.credited() == credited and SettledUpstreamLine.objects.count() == settled
    assert sorted(Invoice.objects.filter(customer=s.customer).values_list("total_minor")) == (
        invoices
    )


def test_a_credit_matched_first_is_not_billed_and_says_why(
    sandbox_dispute, staff_users, client_for
):
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.credit_next_invoice("100.00")
    s.escalation.refresh_from_db()
    assert s.escalation.status == EscalationStatus.CLOSED
    [note] = CreditNote.objects.filter(customer=s.customer)
    assert note.total_minor == 10600 and note.invoice == s.invoice  # 100.00 + 6 % VAT
    settled = SettledUpstreamLine.objects.get()
    assert settled.upstream_line_id == s.escalation.credit_upstream_line_id
    assert settled.reason == (
        f"credited by credit note {note.number} (escalation {s.escalation.reference})"
    )
    assert settled.credit_note == note
    event = AuditEvent.objects.get(action="upstream_line.settled_outside_billing")
    assert event.after["credit_note"] == note.number

    run, draft = s.bill()
    assert draft is not None  # its other charges of the month are billed
    assert not draft.lines.filter(net_minor__lt=0, charge_type="Credit").exists()
    assert run.summary["unbilled_by_reason"][UnbilledReason.SETTLED_OUTSIDE_BILLING] == 1
    assert run.unbilled.get(reason="settled_outside_billing").upstream_line_id == (
        settled.upstream_line_id
    )
    page = client_for(staff_users["readonly"]).get(reverse("invoicing:billing_run", args=[run.pk]))
    assert "Settled outside billing: 1" in page.content.decode()
    assert settled.reason in page.content.decode()
    [row] = [r for r in unbilled_upstream_charges(period=s.period) if r["amount"] < 0]
    assert row["reason"] == f"Settled outside billing: {settled.reason}"

    do_issue_invoices(invoices=[draft], actor="t")
    assert s.credited() == 10600  # once
    _unchanged_by_running_again(s)


def test_credited_at_approval_the_credit_arriving_later_is_settled_not_billed(
    sandbox_dispute, settings
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    [note] = CreditNote.objects.filter(customer=s.customer)
    s.credit_next_invoice("100.00")
    s.escalation.refresh_from_db()
    assert s.escalation.credit_upstream_line_id is not None
    settled = SettledUpstreamLine.objects.get()
    assert note.number in settled.reason and "when 21Vianet upheld it" in settled.reason
    s.bill(issue=True)
    assert s.credited() == 10600
    _unchanged_by_running_again(s)


def test_a_credit_billed_first_on_an_issued_invoice_is_not_credited_again(sandbox_dispute):
    s = sandbox_dispute
    s.credit_next_invoice("100.00")  # 21Vianet credits before it tells us it upheld the case
    s.escalation.refresh_from_db()
    assert s.escalation.credit_upstream_line_id is None  # not upheld yet: nothing to match
    _, invoice = s.bill(issue=True)
    assert s.credited() == 10600  # the billing run passed it on: -100.00 - 6 % VAT

    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.escalation.refresh_from_db()
    case = s.escalation.case
    case.refresh_from_db()
    assert s.escalation.status == EscalationStatus.CLOSED
    assert s.escalation.credit_billed_invoice == invoice
    assert s.escalation.credit_billed_minor == 10000
    assert not CreditNote.objects.filter(customer=s.customer).exists()
    assert not SettledUpstreamLine.objects.exists()
    assert case.status == CaseStatus.RESOLVED
    assert case.dispute_outcome == DisputeOutcome.ON_INVOICE and case.credit_note is None
    resolution = case.messages.get(is_resolution=True).body
    assert f"106.00 CNY, is already deducted on your invoice {invoice.number}" in resolution
    [plain] = for_customer_case(case=case)
    assert "deducted on a later invoice" in plain.status
    assert s.credited() == 10600  # once
    _unchanged_by_running_again(s)


def test_a_partial_overlap_credits_only_the_difference(sandbox_dispute, cloud):
    s = sandbox_dispute
    s.credit_next_invoice("100.00")
    do_create_price_rule(
        actor="t",
        name="10 % off from November",
        customer=s.customer,
        method="percent",
        percent="-10",
        tax_category=cloud,
        effective_from=s.period,
    )
    _, invoice = s.bill(issue=True)
    assert s.credited() == 9540  # -90.00 - 6 % VAT: what its November rule gives

    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.escalation.refresh_from_db()
    assert s.escalation.status == EscalationStatus.CLOSED
    assert s.escalation.credit_billed_minor == 9000
    [note] = CreditNote.objects.filter(customer=s.customer)
    assert (note.invoice, note.subtotal_minor, note.total_minor) == (s.invoice, 1000, 1060)
    s.escalation.case.refresh_from_db()
    assert s.escalation.case.credit_note == note
    resolution = s.escalation.case.messages.get(is_resolution=True).body
    assert f"95.40 CNY, is already deducted on your invoice {invoice.number}" in resolution
    assert note.number in resolution
    assert s.credited() == 10600  # what we billed for the disputed line, once
    _unchanged_by_running_again(s)


def test_a_credit_billed_on_a_draft_is_taken_off_it(sandbox_dispute):
    s = sandbox_dispute
    s.credit_next_invoice("100.00")
    _, draft = s.bill()
    credit = draft.lines.get(charge_type="Credit")
    total = draft.total_minor
    assert credit.net_minor == -10000

    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    [note] = CreditNote.objects.filter(customer=s.customer)
    assert note.total_minor == 10600
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.lines.filter(charge_type="Credit").exists()
    assert draft.total_minor == total + 10600  # what it bills without the credit
    assert draft.total_minor == sum(line.net_minor + line.tax_minor for line in draft.lines.all())
    event = AuditEvent.objects.get(action="upstream_line.settled_outside_billing")
    assert event.after["taken_off_draft"]["draft"] == draft.pk

    s.bill(issue=True)  # made again, then issued: still without it
    assert s.credited() == 10600
    _unchanged_by_running_again(s)


def test_an_ordinary_credit_is_not_taken_for_the_promised_one(
    sandbox_dispute, staff_users, client_for
):
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    # A seat removed: an ordinary prorated credit, below the promise: billed as usual.
    s.credit_next_invoice("30.00", charge_type="Cancel instance prorate")
    s.escalation.refresh_from_db()
    assert s.escalation.status == EscalationStatus.UPHELD
    assert s.escalation.credit_upstream_line_id is None
    assert s.escalation.oversized_credit_line_id is None
    _, november = s.bill(issue=True)
    assert november.lines.get(charge_type="Cancel instance prorate").net_minor == -3000
    assert s.credited() == 3180

    # The same kind of line, of exactly the promised amount: maybe, so staff check it.
    s.credit_next_invoice("100.00", charge_type="Cancel instance prorate")
    s.escalation.refresh_from_db()
    assert s.escalation.credit_upstream_line_id is None
    assert s.escalation.oversized_credit_line_id is not None
    assert s.escalation.flagged_credit == "unmarked"
    assert not CreditNote.objects.exists()
    listing = client_for(staff_users["readonly"]).get(reverse("escalations:list")).content
    assert "a possible credit, not marked as a credit or adjustment" in listing.decode()
    assert do_match_credits() == []

    client_for(staff_users["finance"]).post(
        reverse("escalations:act", args=[s.escalation.reference]), {"action": "accept_credit"}
    )
    s.escalation.refresh_from_db()
    assert s.escalation.status == EscalationStatus.CLOSED
    assert CreditNote.objects.get(customer=s.customer).total_minor == 10600
    s.bill(issue=True)  # December: the accepted line is settled, not billed
    assert s.credited() == 3180 + 10600
    _unchanged_by_running_again(s)


def test_a_credit_for_the_disputed_period_matches_on_a_later_invoice(sandbox_dispute):
    """21Vianet may date its credit line with the disputed charge's own period."""
    from cspbilling.upstream.models import UpstreamLineItem

    s = sandbox_dispute
    s.credit_next_invoice("100.00")
    credit = UpstreamLineItem.objects.get(charge_type="Credit")
    assert credit.charge_start == s.period
    disputed = s.escalation.lines.get()
    UpstreamLineItem.objects.filter(pk=credit.pk).update(
        charge_start=disputed.charge_start, charge_end=disputed.charge_end
    )
    assert disputed.charge_start < s.period - dt.timedelta(days=1)
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.escalation.refresh_from_db()
    assert s.escalation.credit_upstream_line_id == credit.pk
    s.bill(issue=True)
    assert s.credited() == 10600


def test_credited_at_approval_and_billed_before_a_check_is_told_to_staff(
    sandbox_dispute, settings, staff_users, client_for, tokens
):
    """The one way left to credit twice: 21Vianet's credit came unmarked and was billed on an
    issued invoice before 21Vianet told us it upheld the dispute (a flagged line is held out of
    billing, but this one was issued already), the customer was credited when it upheld it
    (`on_approval`), then finance says the billed line was that credit."""
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    s = sandbox_dispute
    s.credit_next_invoice("100.00", charge_type="Cancel instance prorate")
    _, invoice = s.bill(issue=True)
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.escalation.refresh_from_db()
    assert s.escalation.oversized_credit_line_id is not None  # flagged, but not held
    page = client_for(staff_users["finance"]).get(
        reverse("escalations:detail", args=[s.escalation.reference])
    )
    assert "it was billed on an issued invoice already" in page.content.decode()
    assert s.credited() == 21200
    client_for(staff_users["finance"]).post(
        reverse("escalations:act", args=[s.escalation.reference]), {"action": "accept_credit"}
    )
    s.escalation.refresh_from_db()
    assert s.escalation.credited_twice == Decimal("100.00") and s.escalation.credit_to_check
    assert s.escalation.credit_billed_invoice == invoice
    assert not SettledUpstreamLine.objects.exists()
    note = s.escalation.case.messages.order_by("pk").last().body
    assert "credited twice" in note and invoice.number in note
    listing = client_for(staff_users["readonly"]).get(
        reverse("escalations:list") + "?status=credit_to_check"
    )
    assert "credited twice: 100.00 CNY to recover" in listing.content.decode()
    body = get(f"/escalations/{s.escalation.reference}", tokens["readonly"]).json()
    assert (body["credited_twice"], body["credit_billed_invoice_number"]) == (
        "100.00",
        invoice.number,
    )
    assert s.credited() == 21200  # nothing more, nothing taken back by itself
