"""The SLA clock of a case, in business seconds of the China calendar (holidays and 调休 working
weekends, business hours from settings.BUSINESS_HOURS).

First response: from opening to the first public staff reply; it never pauses. Resolution: from
opening to resolution, paused while the case waits on someone else: the customer, or 21Vianet
while it is escalated to them (`business_seconds_used` keeps what ran before the pause;
`resolution_due_at` is empty while paused). The customer still hears from us while escalated:
the escalation's own customer-update clock runs on. These functions change the instance only;
the services save it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from cspbilling.cases.models import Case
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar


def targets(priority: str) -> tuple[int, int]:
    """(first response, resolution) targets of a priority, in business seconds."""
    first_hours, resolution_hours = settings.CASES_SLA_HOURS[priority]
    return first_hours * 3600, resolution_hours * 3600


def start_clock(case: Case, *, now: datetime, calendar: ChinaCalendar | None = None) -> None:
    calendar = calendar or china_calendar()
    first, resolution = targets(case.priority)
    case.first_response_due_at = calendar.add_business_seconds(now, first)
    case.business_seconds_used = 0
    case.clock_running_since = now
    case.resolution_due_at = calendar.add_business_seconds(now, resolution)


def _run_until(case: Case, now: datetime, calendar: ChinaCalendar) -> None:
    if case.clock_running_since is not None:
        case.business_seconds_used += calendar.business_seconds_between(
            case.clock_running_since, now
        )
        case.clock_running_since = None


def pause(case: Case, *, now: datetime, calendar: ChinaCalendar | None = None) -> None:
    """Waiting on the customer, or on 21Vianet (escalated): the resolution clock stops."""
    _run_until(case, now, calendar or china_calendar())
    case.resolution_due_at = None


def resume(case: Case, *, now: datetime, calendar: ChinaCalendar | None = None) -> None:
    """The case is ours again: the clock runs for what is left of the target."""
    if case.clock_running_since is not None:
        return
    calendar = calendar or china_calendar()
    _, resolution = targets(case.priority)
    case.clock_running_since = now
    left = max(0, resolution - case.business_seconds_used)
    case.resolution_due_at = calendar.add_business_seconds(now, left)


def change_priority(case: Case, *, now: datetime) -> None:
    """New targets for the new priority, counted from the case's opening."""
    calendar = china_calendar()
    first, _ = targets(case.priority)
    if case.first_response_at is None:
        case.first_response_due_at = calendar.add_business_seconds(case.created_at, first)
    if case.clock_running_since is not None:
        _run_until(case, now, calendar)
        resume(case, now=now, calendar=calendar)


def record_first_response(case: Case, *, now: datetime) -> None:
    if case.first_response_at is not None:
        return
    case.first_response_at = now
    case.first_response_breached = bool(
        case.first_response_due_at and now > case.first_response_due_at
    )


def record_resolution(case: Case, *, now: datetime) -> None:
    """Stop the clock for good and say whether the target was met."""
    _run_until(case, now, china_calendar())
    case.resolution_due_at = None
    _, resolution = targets(case.priority)
    case.resolution_breached = case.business_seconds_used > resolution


def business_seconds_left(case: Case, *, now: datetime) -> int | None:
    """What is left of the resolution target now (negative: breached); None when paused."""
    if case.clock_running_since is None:
        return None
    _, resolution = targets(case.priority)
    ran = china_calendar().business_seconds_between(case.clock_running_since, now)
    return resolution - case.business_seconds_used - ran
