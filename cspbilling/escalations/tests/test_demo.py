"""The demo: an escalation filed in portal mode with 21Vianet's reply threaded in, and one whose
credit arrived on a later 21Vianet file and became a credit note."""

from __future__ import annotations

import pytest

from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.ops.demo import load_demo_data


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_has_an_answered_and_a_credited_escalation(pc_sandbox, settings, cloud, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PARTNER_CENTER = {
        **settings.PARTNER_CENTER,
        "BASE_URL": pc_sandbox.base_url,
        "SANDBOX_TOKEN": pc_sandbox.token,
    }
    said = load_demo_data()
    assert "2 escalations to 21Vianet" in said, said
    answered = Escalation.objects.get(ticket_number="2411250000101")
    assert (
        answered.channel == "portal"
        and answered.status == EscalationStatus.INFO_REQUESTED
        or (answered.status == EscalationStatus.FILED)
    )
    reply = answered.case.messages.get(channel="email", visibility="internal")
    assert "重复计费" in reply.body and answered.last_answer_at
    credited = Escalation.objects.get(ticket_number="2411250000102")
    assert credited.status == EscalationStatus.CLOSED and credited.credit_received_at
    [note] = [link.credit_note for link in credited.credit_notes.all()]
    assert note.status == "issued"
    assert credited.case.status == "resolved" and credited.case.credit_note == note
    assert "2 escalations" in load_demo_data()  # again: no more
    assert Escalation.objects.count() == 2
