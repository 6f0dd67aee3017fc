"""21Vianet credits less than it promised: matched, the customer credited what arrived (or as
the setting says), the escalation flagged "credit short by X" in the list, on its page and in
the report. A credit larger than promised is never matched by itself: flagged for staff, whom
finance may accept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cspbilling.audit.models import AuditEvent
from cspbilling.cases.models import CaseStatus
from cspbilling.escalations.models import EscalationStatus
from cspbilling.escalations.selectors import report
from cspbilling.escalations.services import do_match_credits, do_record_upheld
from cspbilling.escalations.tests.fixtures import credit_file, filed_escalation
from cspbilling.invoicing.models import CreditNote
from cspbilling.upstream.services import do_import_reconciliation_file

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_short_credit_is_matched_credited_as_it_came_and_flagged(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for
):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-60.00")]), actor="t"
    )
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert escalation.credit_received == Decimal("60.00")
    assert escalation.credit_short == Decimal("40.00")
    [note] = CreditNote.objects.all()
    assert (note.subtotal_minor, note.total_minor) == (6000, 6360)  # what arrived, + 6 % VAT
    escalation.case.refresh_from_db()
    assert escalation.case.status == CaseStatus.RESOLVED
    matched = AuditEvent.objects.get(action="escalation.credit_matched")
    assert matched.after["short_minor"] == 4000
    assert escalation.case.messages.filter(body__contains="Credit short by 40.00 CNY").exists()

    staff = client_for(staff_users["readonly"])
    listing = staff.get(reverse("escalations:list") + "?status=credit_to_check").content.decode()
    assert escalation.reference in listing and "credit short by 40.00 CNY" in listing
    assert escalation.reference not in staff.get(reverse("escalations:list")).content.decode()
    page = staff.get(reverse("escalations:detail", args=[escalation.reference])).content.decode()
    assert "60.00 received" in page and "credit short by 40.00 CNY" in page
    [row] = report()
    assert (row["promised"], row["received"], row["short"]) == (
        Decimal("100.00"),
        Decimal("60.00"),
        Decimal("40.00"),
    )
    assert "40.00 (1)" in staff.get(reverse("escalations:report")).content.decode()
    assert do_match_credits() == []  # matched once


def test_a_short_credit_after_the_credit_note_at_approval_only_flags_it(
    dispute_case, vianet, customer_a, tmp_path, settings
):
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("100"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-70.00")]), actor="t"
    )
    escalation.refresh_from_db()
    assert escalation.credit_short == Decimal("30.00") and escalation.credit_to_check
    [note] = CreditNote.objects.all()  # the customer kept what was promised; nothing more
    assert note.subtotal_minor == 10000


def test_a_larger_credit_waits_for_finance_and_credits_the_promise_only(
    dispute_case, vianet, customer_a, tmp_path, staff_users, client_for
):
    escalation = filed_escalation(dispute_case, vianet)
    do_record_upheld(escalation=escalation, promised_credit=Decimal("50"), actor="finance")
    do_import_reconciliation_file(
        path=credit_file(tmp_path, customer_a, [("sub-0", "-100.00")]), actor="t"
    )
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.UPHELD and escalation.credit_received is None
    assert escalation.oversized_credit_line_id is not None and escalation.credit_to_check
    assert not CreditNote.objects.exists()
    assert do_match_credits() == []
    assert AuditEvent.objects.filter(action="escalation.credit_flagged").count() == 1  # once

    act = reverse("escalations:act", args=[escalation.reference])
    support = client_for(staff_users["support"])
    assert "larger credit" in support.get(reverse("escalations:list")).content.decode()
    support.post(act, {"action": "accept_credit"})
    escalation.refresh_from_db()
    assert escalation.credit_upstream_line_id is None  # support may not
    finance = client_for(staff_users["finance"])
    page = finance.get(reverse("escalations:detail", args=[escalation.reference]))
    assert 'id="accept-credit"' in page.content.decode()
    finance.post(act, {"action": "accept_credit"})
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.CLOSED
    assert escalation.credit_received == Decimal("100.00") and escalation.credit_short is None
    assert escalation.oversized_credit_line_id is None
    [note] = CreditNote.objects.all()
    assert note.subtotal_minor == 5000  # the promise, not the larger credit
