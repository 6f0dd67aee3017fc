"""A case and its escalation agree: a case escalated to 21Vianet is not resolved or closed by
hand until 21Vianet's outcome is recorded or the request withdrawn; withdrawing lifts the
escalation's hold (collections act again) and gives the case back to the agent; a case is
escalated only through an escalation record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cspbilling.api.tests.helpers import post
from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import CaseStatus, Visibility
from cspbilling.cases.services import (
    CaseError,
    do_close_case_as,
    do_reply_to_case,
    do_resolve_case,
)
from cspbilling.collections.models import DisputeHold
from cspbilling.collections.services import do_collections_run
from cspbilling.collections.tests.fixtures import clock as collections_clock
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import (
    EscalationError,
    do_cancel_escalation,
    do_escalate_case,
    do_file_through_api,
    do_record_rejected,
    do_record_ticket_number,
    do_withdraw_escalation,
)
from cspbilling.notifications.commands import run_command
from cspbilling.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_case_waiting_on_21vianet_is_not_resolved_or_closed_by_hand(
    dispute_case, staff_users, client_for, tokens
):
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    do_record_ticket_number(escalation=escalation, ticket_number="240801000321", actor="agent")
    case = escalation.case
    with pytest.raises(CaseError, match=rf"{escalation.reference} \(filed, ticket 240801000321\)"):
        do_resolve_case(case=case, resolution="已处理。", actor="agent", outcome="upheld")
    with pytest.raises(CaseError, match="withdraw it"):
        do_close_case_as(case=case, reason="spam", actor="agent")

    support = client_for(staff_users["support"])
    page = support.get(reverse("cases:case_detail", args=[case.reference])).content.decode()
    assert 'id="pending-escalations"' in page and escalation.reference in page
    assert 'id="resolve"' not in page and 'value="close"' not in page
    answer = support.post(
        reverse("cases:case_act", args=[case.reference]),
        {"action": "resolve", "body": "已处理。", "outcome": "upheld"},
    )
    assert any("Record 21Vianet's outcome" in text for text in _said(answer))
    refused = post(
        f"/cases/{case.reference}/resolve",
        tokens["support"],
        {"resolution": "已处理。", "outcome": "upheld"},
    )
    assert refused.status_code == 409 and escalation.reference in refused.json()["detail"]
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED
    assert not case.messages.filter(is_resolution=True).exists()  # nothing was sent

    # Once withdrawn, the case is the agent's again: resolved by hand, with the outcome.
    do_withdraw_escalation(escalation=escalation, reason="客户撤回争议", actor="agent")
    do_resolve_case(case=case, resolution="维持原收费。", actor="agent", outcome="upheld")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED


def test_withdrawing_in_portal_mode_lifts_the_hold_so_collections_act_again(
    overdue_invoice, default_policy, make_case, customer_a, staff_users, client_for
):
    """An invoice question escalated to 21Vianet holds its lines out of collections (like a
    dispute); withdrawn, the hold is lifted as a rejection would lift it, the next daily run
    acts, and the agent is told to withdraw the ticket in the 21Vianet portal too."""
    due, final = dt.date(2026, 4, 28), dt.date(2026, 5, 21)
    invoice = overdue_invoice(due, amounts=("1000",), customer=customer_a)
    case = make_case(invoice_lines=list(invoice.lines.all()))
    escalation = do_escalate_case(case=case, actor="agent")
    do_record_ticket_number(escalation=escalation, ticket_number="240801000555", actor="agent")
    hold = DisputeHold.objects.get(source="escalation", source_ref=escalation.reference)
    with collections_clock(final):
        held = do_collections_run(as_of=final, actor="scheduler")
    assert not [a for a in held.actions if a["customer"] == customer_a.pk]

    support = client_for(staff_users["support"])
    act = reverse("escalations:act", args=[escalation.reference])
    refused = support.post(act, {"action": "withdraw", "reason": "  "})
    assert any("say why" in text for text in _said(refused))
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED
    done = support.post(act, {"action": "withdraw", "reason": "Customer found the PO"})
    assert any(
        "Withdraw ticket 240801000555 in the 21Vianet portal too" in text for text in _said(done)
    )
    escalation.refresh_from_db()
    hold.refresh_from_db()
    case.refresh_from_db()
    assert escalation.status == EscalationStatus.WITHDRAWN and escalation.closed_at
    assert not hold.is_open and "withdrawn" in hold.release_reason
    assert not escalation.lines.filter(is_open=True).exists()  # the lines may be escalated again
    assert case.status == CaseStatus.OPEN and case.resolution_due_at is not None
    note = case.messages.filter(visibility=Visibility.INTERNAL).order_by("pk").last()
    assert "Customer found the PO" in note.body and "21Vianet portal" in note.body
    event = AuditEvent.objects.get(action="escalation.withdrawn", object_id=escalation.reference)
    assert event.after["reason"] == "Customer found the PO" and event.actor == "staff-support"
    page = support.get(reverse("escalations:detail", args=[escalation.reference]))
    assert 'id="withdrawn"' in page.content.decode()
    with pytest.raises(EscalationError, match="nothing left to withdraw"):
        do_withdraw_escalation(escalation=escalation, reason="again", actor="agent")

    next_day = final + dt.timedelta(days=1)
    with collections_clock(next_day):
        resumed = do_collections_run(as_of=next_day, actor="scheduler")
    mine = {(a["stage"], a["action"]) for a in resumed.actions if a["customer"] == customer_a.pk}
    assert ("final-notice", "notify") in mine


def test_withdrawing_in_api_mode_tells_21vianet_once_through_the_outbox(
    vianet, dispute_case, pc_sandbox, make_pc_client, settings, deliver_outbox
):
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "CLOUD": "global",
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
    }
    vianet.api(True)
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    escalation = do_file_through_api(
        escalation=escalation, actor="agent", client=make_pc_client(max_retries=0)
    )
    ticket = escalation.ticket_number
    with pytest.raises(EscalationError, match="say why"):
        do_withdraw_escalation(escalation=escalation, reason="", actor="agent")
    assert not OutboundMessage.objects.filter(kind="partner_center").exists()  # nothing changed

    do_withdraw_escalation(escalation=escalation, reason="已与客户和解", actor="agent")
    command = OutboundMessage.objects.get(kind="partner_center")
    assert command.payload["operation"] == "escalations.withdraw"
    assert command.object_id == escalation.reference
    note = escalation.case.messages.filter(visibility=Visibility.INTERNAL).order_by("pk").last()
    assert "cannot close a request" in note.body  # the API adds notes only: said so
    assert not pc_sandbox.requests(f"/v1/servicerequests/{ticket}", "PATCH")  # not yet sent

    deliver_outbox()
    command.refresh_from_db()
    assert command.status == "delivered"
    with pc_sandbox.state.lock:
        notes = list(pc_sandbox.state.world.service_requests[ticket]["notes"])
    [ours] = [n for n in notes if escalation.reference in n["text"]]
    assert "撤回" in ours["text"] and "已与客户和解" in ours["text"]
    assert ours["createdByName"] == settings.PARTNER_CENTER["PARTNER_AUTHOR_NAME"]
    # Delivered twice (a worker died before saving the outcome): still one note.
    run_command("escalations.withdraw", command.payload["args"], idempotency_key="again")
    assert len(pc_sandbox.requests(f"/v1/servicerequests/{ticket}", "PATCH")) == 1


def test_a_case_is_escalated_only_by_an_escalation_record(dispute_case, staff_users, client_for):
    case = dispute_case(line=0)
    support = client_for(staff_users["support"])
    page = support.get(reverse("cases:case_detail", args=[case.reference])).content.decode()
    assert 'id="escalate-21vianet"' in page and 'value="escalate"' not in page
    answer = support.post(reverse("cases:case_act", args=[case.reference]), {"action": "escalate"})
    assert "Unknown action." in _said(answer)
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW

    escalation = do_escalate_case(case=case, actor="agent")
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED
    # It waits on 21Vianet, never on the customer; a plain reply still goes out.
    with pytest.raises(CaseError, match="waits on 21Vianet"):
        do_reply_to_case(case=case, body="请稍候。", actor="agent", wait_on_customer=True)
    do_reply_to_case(case=case, body="我们正在跟进。", actor="agent")
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED
    # Cancelled before filing: the case is the agent's again.
    with pytest.raises(EscalationError, match="say why"):
        do_cancel_escalation(escalation=escalation, actor="agent", reason=" ")
    do_cancel_escalation(escalation=escalation, actor="agent", reason="resolved by phone")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.resolution_due_at is not None


def test_an_outcome_on_one_escalation_leaves_the_case_escalated_while_another_waits(
    dispute_case,
):
    case = dispute_case(line=0)
    first = do_escalate_case(case=case, actor="agent")
    second = do_escalate_case(case=case, actor="agent", upstream_line_ids=[_other_line(first)])
    do_record_ticket_number(escalation=first, ticket_number="240801000601", actor="agent")
    do_record_rejected(escalation=first, reason="费用无误", actor="finance")
    case.refresh_from_db()
    first.refresh_from_db()
    assert first.status == EscalationStatus.CLOSED
    assert case.status == CaseStatus.ESCALATED  # second still waits on 21Vianet
    assert case.messages.filter(body__contains=f"{second.reference} still waits").exists()
    with pytest.raises(CaseError, match=second.reference):
        do_resolve_case(case=case, resolution="x", actor="agent", outcome="upheld")


def _other_line(escalation) -> int:
    from cspbilling.upstream.models import UpstreamLineItem

    taken = escalation.lines.values_list("upstream_line_id", flat=True)
    return (
        UpstreamLineItem.objects.filter(customer_tenant_id=escalation.customer.tenant_id)
        .exclude(pk__in=list(taken))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
