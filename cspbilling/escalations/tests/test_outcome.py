"""Upheld → the promised credit on a later upstream invoice, matched → the customer's credit
note → resolution email → closed; or the credit note at approval (a setting)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.cases.models import CaseStatus, Visibility
from cspbilling.cases.services import do_confirm_resolution
from cspbilling.collections.models import DisputeHold
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import (
    EscalationError,
    do_escalate_case,
    do_match_credits,
    do_record_ticket_number,
    do_record_upheld,
)
from cspbilling.escalations.tests.fixtures import credit_file, filed_escalation
from cspbilling.invoicing.models import CreditNote
from cspbilling.upstream.services import do_import_reconciliation_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_upheld_credit_arrives_on_a_later_invoice_and_becomes_a_credit_note(
    dispute_case, vianet, customer_a, tmp_path, smtp_server, deliver_outbox
):
    escalation = filed_escalation(dispute_case, vianet)
    case = escalation.case
    with pytest.raises(EscalationError, match="at most the disputed"):
        do_record_upheld(escalation=escalation, promised_credit=Decimal("500"), actor="agent")
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100.00"), actor="agent")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.UPHELD
    assert "100.00" in case.messages.filter(visibility=Visibility.PUBLIC).last().body
    assert DisputeHold.objects.get(source_ref=case.reference).is_open  # not paid back yet
    assert not CreditNote.objects.exists()

    # The next upstream invoice: a decoy (other amount) and the promised credit.
    path = credit_file(tmp_path, customer_a, [("sub-0", "-99.00"), ("sub-0", "-100.00")])
    do_import_reconciliation_file(path=path, actor="t")
    escalation.refresh_from_db()
    case.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert escalation.credit_upstream_line_id is not None and escalation.credit_received_at
    [note] = [link.credit_note for link in escalation.credit_notes.all()]
    assert note.status == "issued" and note.invoice == dispute_case.invoice
    assert note.subtotal_minor == 10000 and note.total_minor == 10600  # what we billed: +6 %
    assert case.status == CaseStatus.RESOLVED and case.credit_note == note
    assert not DisputeHold.objects.get(source_ref=case.reference).is_open
    resolution = case.messages.get(is_resolution=True)
    assert note.number in resolution.body
    assert do_match_credits() == []  # matched once
    outcomes = deliver_outbox()
    assert any(k.startswith(f"case-message:{case.reference}") for k in outcomes)
    assert any(note.number in str(m) or m["Subject"] for m in smtp_server.received)
    do_confirm_resolution(case=case, actor="li.wei@contoso.cn", channel="email")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_credit_note_on_approval_and_the_arrival_recorded_later(
    dispute_case, vianet, customer_a, tmp_path, settings
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("50"), actor="agent")
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert (
        escalation.credit_notes.get().credit_note.subtotal_minor == 5000
    )  # half the dispute, half the line
    assert escalation.case.status == CaseStatus.RESOLVED
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-50.00")]), actor="t"
    )
    escalation.refresh_from_db()
    assert escalation.credit_upstream_line_id is not None
    assert CreditNote.objects.count() == 1  # never twice


def test_the_sandbox_21vianet_puts_the_promised_credit_on_its_next_invoice(
    pc_sandbox, pc_client, make_customer, issued_invoice, make_case, vianet
):
    """The 21Vianet side over HTTP: the credit queued for the customer's subscription lands on
    the next invoice it issues; fetching that invoice through the API matches it."""
    import httpx

    from cspbilling.upstream.models import UpstreamLineItem
    from cspbilling.upstream.services import do_fetch_invoices

    with pc_sandbox.state.lock:
        tenant, subscriptions = next(
            (cid, subs) for cid, subs in pc_sandbox.state.world.subscriptions.items() if subs
        )
        subscription = next(iter(subscriptions))
    customer = make_customer(tenant_id=tenant)
    invoice = issued_invoice(amounts=("100",), customer=customer)
    UpstreamLineItem.objects.filter(customer_tenant_id=tenant).update(subscription_id=subscription)
    line = invoice.lines.get()
    case = make_case(
        customer=customer,
        category="dispute",
        disputed_invoice=invoice,
        disputed_amount=Decimal("106.00"),
        invoice_lines=[line],
    )
    escalation = do_escalate_case(case=case, actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title)
    do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100"), actor="finance")

    base = pc_sandbox.base_url
    queued = httpx.post(
        f"{base}/_sandbox/invoices",
        json={
            "kind": "credit",
            "customer_id": tenant,
            "subscription_id": subscription,
            "amount": "100.00",
            "charge_type": "Credit",  # an ordinary "Cancel instance prorate" is not matched
        },
    )
    assert queued.status_code == 202, queued.text
    issued = httpx.post(f"{base}/_sandbox/invoices", json={"kind": "invoice"}).json()
    do_fetch_invoices(actor="t", invoice_id=issued["id"], client=pc_client)

    escalation.refresh_from_db()
    credit_line = UpstreamLineItem.objects.get(pk=escalation.credit_upstream_line_id)
    assert credit_line.invoice.invoice_id == issued["id"] and credit_line.amount_minor == -10000
    assert escalation.status == EscalationStatus.CLOSED
    assert escalation.credit_notes.get().credit_note.total_minor == 10600
