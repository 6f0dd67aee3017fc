"""21Vianet credited less than it promised ("credit short by X"), then a second credit line of
exactly X arrives: matched by itself, the customer credited X once (a second credit note, told in
its language; credited the promise at approval already, nothing more), the line settled outside
billing, the shortfall cleared, audited. A second credit of another amount waits for finance,
held out of billing. And the escalation names its credit line after 21Vianet re-issued the
invoice that carries it."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from cspbilling.api.tests.helpers import post
from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import Case
from cspbilling.escalations.services import do_match_credits, do_record_upheld
from cspbilling.escalations.tests.fixtures import credit_file, filed_escalation
from cspbilling.invoicing.models import (
    CreditNote,
    HeldUpstreamLine,
    SettledUpstreamLine,
    UnbilledReason,
)
from cspbilling.invoicing.services import do_run_billing
from cspbilling.upstream.models import UpstreamLineItem
from cspbilling.upstream.services import do_import_reconciliation_file

pytestmark = pytest.mark.django_db(transaction=True)


def _short_by_40(dispute_case, vianet, customer_a, tmp_path):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-60.00")]), actor="t"
    )
    escalation.refresh_from_db()
    assert escalation.credit_short == Decimal("40.00")
    return escalation


def _second_credit(tmp_path, customer_a, amount: str, invoice: str = "D0NOV2026B") -> int:
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", amount)], invoice=invoice), actor="t"
    )
    return UpstreamLineItem.objects.get(invoice__invoice_id=invoice).pk


@pytest.mark.parametrize(
    "language, said",
    [
        ("en", "21Vianet has now credited the rest of the amount it agreed to"),
        ("zh-hans", "世纪互联现已退还其在您的争议中同意退还的剩余金额"),
        ("fr", "21Vianet a maintenant crédité le reste du montant"),
    ],
)
def test_a_second_credit_of_exactly_the_shortfall_is_matched_and_credited(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for, language, said
):
    escalation = _short_by_40(dispute_case, vianet, customer_a, tmp_path)
    Case.objects.filter(pk=escalation.case_id).update(language=language)
    [first] = CreditNote.objects.all()
    line = _second_credit(tmp_path, customer_a, "-40.00")

    escalation.refresh_from_db()
    assert escalation.shortfall_credit_line_id == line
    assert escalation.credit_received == Decimal("100.00") and escalation.credit_short is None
    assert not escalation.credit_to_check
    second = CreditNote.objects.exclude(pk=first.pk).get()
    assert (second.invoice, second.subtotal_minor, second.total_minor) == (
        first.invoice,
        4000,
        4240,  # 40.00 + 6 % VAT
    )
    assert first.subtotal_minor + second.subtotal_minor == 10000  # the promise, once
    settled = SettledUpstreamLine.objects.get(upstream_line_id=line)
    assert settled.reason == (
        f"credited by credit note {second.number} (escalation {escalation.reference}), "
        "21Vianet's second credit"
    )
    event = AuditEvent.objects.get(action="escalation.shortfall_matched")
    assert (event.after["upstream_line"], event.after["short_minor"]) == (line, 4000)
    assert event.after["credit_notes"] == [second.number]
    told = escalation.case.messages.filter(visibility="public").order_by("pk").last().body
    assert said in told and second.number in told and "42.40" in told

    staff = client_for(staff_users["readonly"])
    page = unescape(
        staff.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    )
    assert "100.00 received" in page and "credit short" not in page
    assert f"the rest upstream line {line}" in page and second.number in page
    listing = staff.get(reverse("escalations:list") + "?status=credit_to_check").content.decode()
    assert escalation.reference not in listing
    run = do_run_billing(period=settled.upstream_invoice.billing_period_start, actor="t")
    assert run.summary["unbilled_by_reason"][UnbilledReason.SETTLED_OUTSIDE_BILLING] == 2
    assert do_match_credits() == []  # once
    assert CreditNote.objects.count() == 2


def test_credited_at_approval_the_second_credit_is_only_settled(
    dispute_case, vianet, customer_a, tmp_path, settings
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    escalation = _short_by_40(dispute_case, vianet, customer_a, tmp_path)
    [note] = CreditNote.objects.all()
    assert note.subtotal_minor == 10000  # the promise, at approval
    line = _second_credit(tmp_path, customer_a, "-40.00")
    escalation.refresh_from_db()
    assert escalation.credit_short is None and escalation.shortfall_credit_line_id == line
    assert CreditNote.objects.count() == 1  # nothing more
    settled = SettledUpstreamLine.objects.get(upstream_line_id=line)
    assert note.number in settled.reason


def test_a_second_credit_of_another_amount_waits_for_finance_held_out_of_billing(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for
):
    escalation = _short_by_40(dispute_case, vianet, customer_a, tmp_path)
    odd = _second_credit(tmp_path, customer_a, "-25.00")
    escalation.refresh_from_db()
    assert escalation.credit_short == Decimal("40.00")  # not made up by itself
    assert (escalation.oversized_credit_line_id, escalation.flagged_credit) == (odd, "shortfall")
    held = HeldUpstreamLine.objects.get()
    assert held.upstream_line_id == odd
    assert held.reason == (
        f"waiting for finance: possibly escalation {escalation.reference}'s credit "
        "(not of the shortfall's amount)"
    )
    assert CreditNote.objects.count() == 1
    run = do_run_billing(period=held.upstream_invoice.billing_period_start, actor="t")
    assert run.summary["unbilled_by_reason"][UnbilledReason.HELD_FOR_DECISION] == 1

    finance = client_for(staff_users["finance"])
    act = reverse("escalations:act", args=[escalation.reference])
    finance.post(
        act, {"action": "reject_credit", "upstream_line_id": str(odd), "reason": "a refund"}
    )
    escalation.refresh_from_db()
    assert escalation.oversized_credit_line_id is None and not HeldUpstreamLine.objects.exists()
    assert escalation.credit_short == Decimal("40.00")  # still waiting for the rest

    exact = _second_credit(tmp_path, customer_a, "-40.00", invoice="D0NOV2026C")
    escalation.refresh_from_db()
    assert escalation.shortfall_credit_line_id == exact and escalation.credit_short is None
    assert CreditNote.objects.count() == 2


def test_finance_may_accept_a_flagged_second_credit_as_the_rest(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for, tokens
):
    escalation = _short_by_40(dispute_case, vianet, customer_a, tmp_path)
    odd = _second_credit(tmp_path, customer_a, "-50.00")  # more than the 40.00 missing
    page = client_for(staff_users["finance"]).get(
        reverse("escalations:detail", args=[escalation.reference])
    )
    assert 'id="accept-credit"' in page.content.decode()
    url = f"/escalations/{escalation.reference}/flagged-credit/accept"
    assert post(url, tokens["support"], {"upstream_line_id": odd}).status_code == 403
    wrong = post(url, tokens["finance"], {"upstream_line_id": escalation.credit_upstream_line_id})
    assert wrong.status_code == 409 and "is not the credit flagged" in wrong.json()["detail"]
    assert CreditNote.objects.count() == 1  # nothing changed

    reply = post(url, tokens["finance"], {"upstream_line_id": odd})
    assert reply.status_code == 200, reply.content
    assert reply.json()["shortfall_credit_line_id"] == odd
    assert reply.json()["credit_short"] is None
    notes = CreditNote.objects.order_by("pk")
    assert [n.subtotal_minor for n in notes] == [6000, 4000]  # never more than the promise
    assert SettledUpstreamLine.objects.filter(upstream_line_id=odd).exists()


def test_after_a_reissue_the_escalation_names_the_line_that_replaced_its_credit(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for
):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-100.00")]), actor="t"
    )
    escalation.refresh_from_db()
    old = escalation.credit_upstream_line_id
    # 21Vianet re-issues its November invoice (a line added): every line gets a new id.
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-100.00"), ("sub-9", "12.00")]),
        actor="t",
    )
    new = UpstreamLineItem.objects.get(subscription_id="sub-0", amount_minor=-10000).pk
    assert new != old
    escalation.refresh_from_db()
    assert escalation.credit_upstream_line_id == new
    page = client_for(staff_users["readonly"]).get(
        reverse("escalations:detail", args=[escalation.reference])
    )
    assert f"(upstream line {new}," in page.content.decode()
    assert CreditNote.objects.count() == 1  # nothing credited again
