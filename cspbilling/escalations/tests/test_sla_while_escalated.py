"""The case's SLA while 21Vianet has it, on the China business calendar (National Day 2026:
1-7 October off, Saturday 10 October a working day; business hours 09:00-18:00): the resolution
clock pauses (a third party has the ball), the customer-update clock of the escalation runs on,
and whatever ran before the escalation still counts."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from cspbilling.cases.models import CaseStatus, Visibility
from cspbilling.cases.selectors import sla_state
from cspbilling.escalations.services import (
    do_escalate_case,
    do_record_rejected,
    do_record_ticket_number,
    do_send_reminders,
    do_withdraw_escalation,
)

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # normal priority: 27 business hours


def at(when: dt.datetime):
    return mock.patch("django.utils.timezone.now", return_value=when)


@pytest.fixture
def escalated_at_noon(dispute_case, settings):
    """A dispute case opened 30 September 10:00, escalated (and filed) at 12:00: 2 business
    hours of its 27 used."""
    settings.ESCALATIONS_CUSTOMER_UPDATE_BUSINESS_DAYS = 3
    with at(OPENED):
        case = dispute_case(line=0)
    with at(OPENED + dt.timedelta(hours=2)):
        escalation = do_escalate_case(case=case, actor="agent")
        do_record_ticket_number(escalation=escalation, ticket_number="240930000777", actor="agent")
    return escalation


def test_the_resolution_clock_pauses_while_21vianet_has_it_and_updates_go_on(
    escalated_at_noon,
):
    escalation = escalated_at_noon
    case = escalation.case
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED
    assert case.business_seconds_used == 2 * 3600 and case.resolution_due_at is None
    # The customer-update clock skips the holidays: 8, 9 and (调休) Saturday 10 October.
    assert escalation.next_customer_update_at == dt.datetime(2026, 10, 10, 12, 0, tzinfo=SHANGHAI)

    updates = case.messages.filter(visibility=Visibility.PUBLIC).count()
    with at(dt.datetime(2026, 10, 9, 18, 0, tzinfo=SHANGHAI)):
        assert do_send_reminders()["customer_updates"] == 0  # not due yet
    saturday = dt.datetime(2026, 10, 10, 12, 5, tzinfo=SHANGHAI)
    with at(saturday):
        assert do_send_reminders()["customer_updates"] == 1
        assert sla_state(case, now=saturday) == "paused"  # ten days on, nothing breached
    assert case.messages.filter(visibility=Visibility.PUBLIC).count() == updates + 1
    case.refresh_from_db()
    assert case.resolution_due_at is None and case.business_seconds_used == 2 * 3600

    # Withdrawn on Monday 12 October 10:00: the 25 h left run from then (8 h that day, 9 h on
    # the 13th, 8 h on the 14th): due Wednesday 14 October 17:00.
    with at(dt.datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)):
        do_withdraw_escalation(escalation=escalation, reason="客户撤回", actor="agent")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.resolution_due_at == dt.datetime(2026, 10, 14, 17, 0, tzinfo=SHANGHAI)


def test_time_with_21vianet_does_not_breach_the_resolution_target(escalated_at_noon):
    """Decided on 20 October, 12 business days after escalating (far past 27 business hours
    on the calendar): the case is resolved within its target, having used 2 hours."""
    escalation = escalated_at_noon
    with at(dt.datetime(2026, 10, 20, 15, 0, tzinfo=SHANGHAI)):
        do_record_rejected(escalation=escalation, reason="费用无误", actor="finance")
    case = escalation.case
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.business_seconds_used == 2 * 3600 and case.resolution_breached is False
