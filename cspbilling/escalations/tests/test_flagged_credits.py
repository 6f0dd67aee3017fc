"""A credit line flagged for staff (maybe 21Vianet's credit for an upheld escalation, maybe an
ordinary one) is held out of billing until finance decides: no billing run bills it, each lists
it unbilled with the reason, and a draft that carries it is priced again without it. Accepted:
settled outside billing with the escalation's credit notes. Rejected as not this escalation's:
released to ordinary billing, and the escalation keeps waiting for its credit. Either way the
customer is credited once. The real flow: the sandbox's 21Vianet over HTTP, the import, the
billing run, the console and the API."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from cspbilling.api.tests.helpers import get, post
from cspbilling.audit.models import AuditEvent
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.services import do_record_upheld
from cspbilling.escalations.tests.fixtures import credit_file, filed_escalation
from cspbilling.invoicing.models import CreditNote, HeldUpstreamLine, SettledUpstreamLine
from cspbilling.upstream.discrepancies import unbilled_upstream_charges
from cspbilling.upstream.services import do_import_reconciliation_file

pytestmark = pytest.mark.django_db(transaction=True)
ORDINARY = "Cancel instance prorate"  # an ordinary credit's charge type: flagged, not matched


def _held_reason(s) -> str:
    return (
        f"waiting for finance: possibly escalation {s.escalation.reference}'s credit "
        "(not marked as a credit or adjustment)"
    )


def _assert_held_out_of_billing(s, client) -> None:
    """A billing run leaves the flagged line out of the draft and says why."""
    run, draft = s.bill()
    assert draft is not None  # the month's other charges are billed
    assert not draft.lines.filter(charge_type=ORDINARY).exists()
    assert run.summary["unbilled_by_reason"]["held_for_decision"] == 1
    assert run.unbilled.get(reason="held_for_decision").upstream_line_id == (
        s.escalation.oversized_credit_line_id
    )
    page = unescape(client.get(reverse("invoicing:billing_run", args=[run.pk])).content.decode())
    assert "Held for a decision: 1" in page
    assert _held_reason(s) in page
    [row] = [r for r in unbilled_upstream_charges(period=s.period) if r["amount"] < 0]
    assert row["reason"] == f"Held for a decision: {_held_reason(s)}"


def test_credited_at_approval_a_flagged_credit_is_not_billed_until_finance_accepts_it(
    sandbox_dispute, settings, staff_users, client_for
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    assert s.credited() == 10600  # the credit note at approval
    s.credit_next_invoice("100.00", charge_type=ORDINARY)
    s.escalation.refresh_from_db()
    assert s.escalation.flagged_credit == "unmarked"
    _assert_held_out_of_billing(s, client_for(staff_users["readonly"]))

    client_for(staff_users["finance"]).post(
        reverse("escalations:act", args=[s.escalation.reference]), {"action": "accept_credit"}
    )
    s.escalation.refresh_from_db()
    assert s.escalation.credit_upstream_line_id is not None
    assert s.escalation.credited_twice is None and not s.escalation.credit_to_check
    settled = SettledUpstreamLine.objects.get()
    assert settled.upstream_line_id == s.escalation.credit_upstream_line_id
    s.bill(issue=True)
    assert s.credited() == 10600  # once
    assert not CreditNote.objects.filter(customer=s.customer).exclude(total_minor=10600).exists()


def test_a_flagged_credit_rejected_as_not_this_escalations_is_billed_as_usual(
    sandbox_dispute, settings, staff_users, client_for
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    s = sandbox_dispute
    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.credit_next_invoice("100.00", charge_type=ORDINARY)
    s.escalation.refresh_from_db()
    flagged = s.escalation.oversized_credit_line_id
    _assert_held_out_of_billing(s, client_for(staff_users["readonly"]))

    finance = client_for(staff_users["finance"])
    page = finance.get(reverse("escalations:detail", args=[s.escalation.reference]))
    assert 'id="reject-credit"' in page.content.decode()
    finance.post(
        reverse("escalations:act", args=[s.escalation.reference]),
        {
            "action": "reject_credit",
            "upstream_line_id": str(flagged),
            "reason": "21Vianet: a seat removed, not the dispute's credit",
        },
    )
    s.escalation.refresh_from_db()
    assert s.escalation.oversized_credit_line_id is None
    assert s.escalation.credit_upstream_line_id is None  # still waiting for its credit
    event = AuditEvent.objects.get(action="escalation.credit_line_rejected")
    assert event.after == {
        "upstream_line": flagged,
        "reason": "21Vianet: a seat removed, not the dispute's credit",
    }
    assert AuditEvent.objects.filter(action="upstream_line.released_to_billing").count() == 1
    page = finance.get(reverse("escalations:detail", args=[s.escalation.reference]))
    assert f"upstream line {flagged}: not this escalation's" in unescape(page.content.decode())

    _, invoice = s.bill(issue=True)
    assert invoice.lines.get(charge_type=ORDINARY).net_minor == -10000  # an ordinary credit
    assert s.credited() == 10600 + 10600
    s.escalation.refresh_from_db()
    assert s.escalation.oversized_credit_line_id is None  # never flagged again


def test_a_credit_on_a_draft_flagged_later_is_taken_off_it_and_back_once_rejected(
    sandbox_dispute, tokens
):
    s = sandbox_dispute
    s.credit_next_invoice("100.00", charge_type=ORDINARY)  # before 21Vianet upholds it
    _, draft = s.bill()
    total = draft.total_minor
    assert draft.lines.get(charge_type=ORDINARY).net_minor == -10000

    do_record_upheld(escalation=s.escalation, promised_credit=Decimal("100"), actor="finance")
    s.escalation.refresh_from_db()
    flagged = s.escalation.oversized_credit_line_id
    assert flagged is not None and s.escalation.status == EscalationStatus.UPHELD
    draft.refresh_from_db()
    assert not draft.lines.filter(charge_type=ORDINARY).exists()
    assert draft.total_minor == total + 10600
    assert draft.total_minor == sum(line.net_minor + line.tax_minor for line in draft.lines.all())
    held = AuditEvent.objects.get(action="upstream_line.held_for_decision")
    assert held.after["taken_off_draft"]["draft"] == draft.pk

    url = f"/escalations/{s.escalation.reference}/flagged-credit/reject"
    reply = post(url, tokens["finance"], {"upstream_line_id": flagged, "reason": "a seat"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["oversized_credit_line_id"] is None
    assert reply.json()["status"] == "upheld"
    _, draft = s.bill()
    assert draft.total_minor == total  # billed again as an ordinary credit
    body = get(f"/escalations/{s.escalation.reference}", tokens["readonly"]).json()
    assert body["rejected_credit_lines"] == [{"upstream_line_id": flagged, "reason": "a seat"}]


def test_rejecting_a_flagged_line_refuses_bad_input_and_other_roles_changing_nothing(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for, tokens
):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("50"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-100.00")]), actor="t"
    )
    escalation.refresh_from_db()
    flagged = escalation.oversized_credit_line_id
    assert escalation.flagged_credit == "larger"
    other = escalation.lines.get().upstream_line_id  # the disputed charge: not flagged
    url = f"/escalations/{escalation.reference}/flagged-credit/reject"
    events = AuditEvent.objects.count()

    refusals = [
        (tokens["support"], {"upstream_line_id": flagged, "reason": "a seat"}, 403, ""),
        (tokens["portal"], {"upstream_line_id": flagged, "reason": "a seat"}, 403, ""),
        (tokens["finance"], {"upstream_line_id": flagged, "reason": "  "}, 422, ""),
        (tokens["finance"], {"upstream_line_id": flagged}, 422, ""),
        (
            tokens["finance"],
            {"upstream_line_id": 987654321, "reason": "a seat"},
            409,
            "there is no upstream line 987654321",
        ),
        (
            tokens["finance"],
            {"upstream_line_id": other, "reason": "a seat"},
            409,
            f"upstream line {other} is not the credit flagged for {escalation.reference} "
            f"(that is upstream line {flagged})",
        ),
    ]
    for token, body, status, detail in refusals:
        reply = post(url, token, body)
        assert reply.status_code == status, (body, reply.content)
        assert detail in reply.content.decode()

    act = reverse("escalations:act", args=[escalation.reference])
    reject = {"action": "reject_credit", "upstream_line_id": str(flagged), "reason": "a seat"}
    assert client_for(staff_users["readonly"]).post(act, reject).status_code == 403
    page = client_for(staff_users["support"]).post(act, reject, follow=True).content.decode()
    assert "only finance or an admin" in page
    finance = client_for(staff_users["finance"])
    page = finance.post(act, {**reject, "reason": ""}, follow=True).content.decode()
    assert "say why the line is not this escalation&#x27;s credit" in page
    page = finance.post(act, {**reject, "upstream_line_id": "x"}, follow=True).content.decode()
    assert "is not an upstream line id" in page

    escalation.refresh_from_db()
    assert escalation.oversized_credit_line_id == flagged
    assert HeldUpstreamLine.objects.get().upstream_line_id == flagged
    assert not escalation.rejected_credit_lines.exists()
    assert AuditEvent.objects.count() == events

    reply = post(url, tokens["finance"], {"upstream_line_id": flagged, "reason": "a seat"})
    assert reply.status_code == 200 and reply.json()["flagged_credit_held"] is False
    reply = post(url, tokens["finance"], {"upstream_line_id": flagged, "reason": "a seat"})
    assert reply.status_code == 409
    assert f"{escalation.reference} has no credit waiting to be checked" in reply.json()["detail"]
