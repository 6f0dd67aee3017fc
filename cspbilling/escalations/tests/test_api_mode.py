"""api mode (the sandbox as a cloud that offers service requests): the intent first, our
reference in the request, a lookup before any retry; polling with backoff on 429."""

from __future__ import annotations

import pytest

from cspbilling.cases.models import Visibility
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import (
    do_escalate_case,
    do_file_through_api,
    do_sync_escalations,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_mode(vianet, settings):
    settings.PARTNER_CENTER = {**settings.PARTNER_CENTER, "CLOUD": "global"}
    vianet.api(True)
    return vianet


def _with_reference(pc_sandbox, reference: str) -> list[dict]:
    with pc_sandbox.state.lock:
        return [
            sr
            for sr in pc_sandbox.state.world.service_requests.values()
            if f"[{reference}]" in sr["title"]
        ]


def test_exactly_one_request_even_when_the_answer_is_lost(
    api_mode, dispute_case, pc_sandbox, make_pc_client
):
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    assert escalation.channel == "api"
    client = make_pc_client(timeout=2, max_retries=3)
    pc_sandbox.script({"path_prefix": "/v1/servicerequests", "method": "POST", "drop_after": True})

    first = do_file_through_api(escalation=escalation, actor="agent", client=client)
    assert first.status == EscalationStatus.FILING and first.filing_attempts == 1
    assert "not retried" in first.filing_error
    [created] = _with_reference(pc_sandbox, escalation.reference)  # it exists upstream

    second = do_file_through_api(escalation=escalation, actor="agent", client=client)
    assert second.status == EscalationStatus.FILED
    assert second.ticket_number == created["id"] and second.filing_attempts == 2
    assert len(_with_reference(pc_sandbox, escalation.reference)) == 1
    assert len(pc_sandbox.requests("/v1/servicerequests", "POST")) == 1
    # Filed: a third call sends nothing.
    do_file_through_api(escalation=escalation, actor="agent", client=client)
    assert len(pc_sandbox.requests("/v1/servicerequests", "POST")) == 1


def test_the_worker_finishes_a_filing_left_half_done(api_mode, dispute_case, pc_sandbox, pc_client):
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    pc_sandbox.script({"path_prefix": "/v1/servicerequests", "method": "POST", "drop_after": True})
    do_file_through_api(escalation=escalation, actor="agent", client=pc_client)
    counts = do_sync_escalations(client=pc_client)
    assert counts["filed"] == 1
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED
    assert len(_with_reference(pc_sandbox, escalation.reference)) == 1


def test_polling_threads_answers_in_and_backs_off_on_429(
    api_mode, dispute_case, pc_sandbox, make_pc_client, clock, settings
):
    settings.ESCALATIONS_POLL_MINUTES = 30
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    client = make_pc_client(max_retries=0)
    escalation = do_file_through_api(escalation=escalation, actor="agent", client=client)
    ticket = escalation.ticket_number

    api_mode.note(ticket, "请提供客户的订购记录截图。", status="attention_needed")
    assert do_sync_escalations(client=client) == {"polled": 1}
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.INFO_REQUESTED
    note = escalation.case.messages.filter(body__contains="订购记录截图").get()
    assert note.visibility == Visibility.INTERNAL
    assert do_sync_escalations(client=client) == {}  # not due again for 30 minutes

    pc_sandbox.script(
        {
            "path_prefix": f"/v1/servicerequests/{ticket}",
            "status": 429,
            "retry_after": 5,
            "times": 9,
        }
    )
    clock.advance(minutes=31)
    assert do_sync_escalations(client=client) == {"throttled": 1}
    escalation.refresh_from_db()
    assert escalation.poll_backoff_seconds == 30 * 60  # at least the interval
    clock.advance(minutes=31)
    assert do_sync_escalations(client=client) == {"throttled": 1}
    escalation.refresh_from_db()
    assert escalation.poll_backoff_seconds == 60 * 60  # doubled
    clock.advance(minutes=31)
    assert do_sync_escalations(client=client) == {}  # still backing off: nothing sent
    gets = len(pc_sandbox.requests(f"/v1/servicerequests/{ticket}", "GET"))
    assert gets == 3

    pc_sandbox.clear_faults()
    clock.advance(minutes=30)
    api_mode.note(ticket, "已核实，将在下期发票中贷记。", status="open")
    assert do_sync_escalations(client=client) == {"polled": 1}
    escalation.refresh_from_db()
    assert escalation.poll_backoff_seconds == 0
    assert escalation.case.messages.filter(body__contains="下期发票中贷记").exists()


def test_polling_skips_the_notes_the_partner_wrote_under_its_configured_name(
    api_mode, dispute_case, pc_sandbox, make_pc_client, settings
):
    """The partner's author name is a setting (CSPBILLING_PC_PARTNER_AUTHOR_NAME) and the
    sandbox signs the partner's notes with the same value: our own note (added through the API,
    as an agent would) never comes back as an answer from 21Vianet; theirs does."""
    name = "云伙伴计费部 Cloud Partner Billing"
    settings.PARTNER_CENTER = {**settings.PARTNER_CENTER, "PARTNER_AUTHOR_NAME": name}
    pc_sandbox.reset(partner_author=name)
    api_mode.api(True)
    client = make_pc_client(max_retries=0)
    escalation = do_escalate_case(case=dispute_case(line=0), actor="agent")
    escalation = do_file_through_api(escalation=escalation, actor="agent", client=client)
    ticket = escalation.ticket_number

    ours = client.add_service_request_note(ticket, "补充：客户的订购记录见附件。")
    assert ours.notes[-1].created_by_name == name
    api_mode.note(ticket, "已收到补充材料，正在核实。", status="open")
    assert do_sync_escalations(client=client) == {"polled": 1}
    case_notes = [m.body for m in escalation.case.messages.filter(visibility=Visibility.INTERNAL)]
    assert any("正在核实" in body for body in case_notes)
    assert not any("订购记录见附件" in body for body in case_notes)
    escalation.refresh_from_db()
    assert escalation.upstream_notes_seen == 2 and escalation.last_answer_at is not None
