"""A dispute whose upstream lines were billed on several of the customer's invoices (September
and October): 21Vianet's credit becomes one credit note per invoice, each for the share that
invoice's lines carry, all in one transaction, never twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import CaseStatus
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import (
    EscalationError,
    do_escalate_case,
    do_match_credits,
    do_record_ticket_number,
    do_record_upheld,
)
from cspbilling.escalations.services.crediting import issue_credit_notes
from cspbilling.invoicing.models import BilledUpstreamLine, CreditNote
from cspbilling.invoicing.services import do_credit_invoice
from cspbilling.upstream.services import do_import_reconciliation_file
from cspbilling.upstream.tests.fixtures import LICENSE_HEADER, license_row, write_csv

pytestmark = pytest.mark.django_db(transaction=True)


def _upstream_line(invoice, subscription: str) -> int:
    return BilledUpstreamLine.objects.get(
        invoice_line__invoice=invoice, invoice_line__subscription_id=subscription
    ).upstream_line_id


@pytest.fixture
def two_months(dispute_case, issued_invoice, customer_a, vianet):
    """sub-0 billed 80.00 in September and 100.00 in October (+ 6 % VAT); the October dispute
    case names both upstream lines: 180.00 escalated and filed."""
    september = issued_invoice(amounts=("80",), customer=customer_a, period=dt.date(2026, 9, 1))
    case = dispute_case(line=0)
    october = dispute_case.invoice
    lines = [_upstream_line(september, "sub-0"), _upstream_line(october, "sub-0")]
    escalation = do_escalate_case(case=case, actor="agent", upstream_line_ids=lines)
    assert escalation.disputed_minor == 18000
    ticket = vianet.file_in_portal(title=escalation.title)
    do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
    return escalation, september, october


def test_one_credit_note_per_invoice_for_its_share(two_months, settings):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    escalation, september, october = two_months
    do_record_upheld(escalation=escalation, promised_credit=Decimal("90"), actor="finance")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    notes = {n.invoice: n for n in CreditNote.objects.all()}
    assert set(notes) == {september, october}
    # Half of what each invoice billed for the disputed lines, tax following the net.
    assert (notes[september].subtotal_minor, notes[september].total_minor) == (4000, 4240)
    assert (notes[october].subtotal_minor, notes[october].total_minor) == (5000, 5300)
    assert sum(n.subtotal_minor for n in notes.values()) == escalation.promised_credit_minor
    assert all(n.status == "issued" for n in notes.values())
    case = escalation.case
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.credit_note == notes[october]
    resolution = case.messages.get(is_resolution=True).body
    assert notes[september].number in resolution and notes[october].number in resolution
    credited = AuditEvent.objects.filter(
        action="escalation.credited", object_id=escalation.reference
    )
    assert sorted(e.after["invoice"] for e in credited) == sorted(
        [september.number, october.number]
    )

    # Never twice: again by hand, and when 21Vianet's credit arrives later.
    with transaction.atomic():
        again = issue_credit_notes(escalation, actor="agent")
    assert {n.pk for n in again} == {n.pk for n in notes.values()}
    assert do_match_credits() == [] and CreditNote.objects.count() == 2


def test_one_invoice_that_cannot_be_credited_issues_none(two_months, settings):
    """October's line was credited in full by hand meanwhile: the upheld decision is refused
    naming that invoice, and September gets no credit note either (one transaction)."""
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    escalation, september, october = two_months
    line = october.lines.get(subscription_id="sub-0")
    do_credit_invoice(
        invoice=october, reason="goodwill", actor="finance", amounts={line.pk: Decimal("100")}
    )
    with pytest.raises(EscalationError, match=f"invoice {october.number} cannot be credited"):
        do_record_upheld(escalation=escalation, promised_credit=Decimal("90"), actor="finance")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED and not escalation.credit_notes.exists()
    assert not CreditNote.objects.filter(invoice=september).exists()
    assert CreditNote.objects.count() == 1  # the goodwill one


def test_the_credit_arriving_later_credits_each_invoice_once(two_months, customer_a, tmp_path):
    escalation, september, october = two_months
    do_record_upheld(escalation=escalation, promised_credit=Decimal("180"), actor="finance")
    row = license_row(
        1, tenant=str(customer_a.tenant_id), qty=1, price="-180.00", tax="0", invoice="D0NOV2026"
    )
    row.update(
        SubscriptionId="sub-0",
        SyndicationPartnerSubscriptionNumber="sub-0",
        ChargeStartDate="2026-11-01",
        ChargeEndDate="2026-11-30",
        ChargeType="Credit",
        Currency="CNY",
    )
    path = write_csv(tmp_path / "november.csv", LICENSE_HEADER, [row])
    do_import_reconciliation_file(path=path, actor="t")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED and escalation.credit_received_at
    totals = {n.invoice: n.total_minor for n in CreditNote.objects.all()}
    assert totals == {september: 8480, october: 10600}  # all of each, with its VAT
    assert do_match_credits() == [] and CreditNote.objects.count() == 2
