"""On which day a stage is reached: its offset from the oldest overdue invoice's due day, in
calendar days or in business days of the China calendar (holidays and 调休 working weekends)."""

from __future__ import annotations

import datetime as dt

from cspbilling.collections.models import DayKind, Stage
from cspbilling.workdays.calendar import ChinaCalendar


def stage_day(due_on: dt.date, stage: Stage, calendar: ChinaCalendar) -> dt.date:
    """The first day the stage is reached for an invoice due on `due_on`."""
    if stage.day_kind == DayKind.BUSINESS:
        return calendar.add_business_days(due_on, stage.offset_days)
    return due_on + dt.timedelta(days=stage.offset_days)


def stage_cutoff(as_of: dt.date, stage: Stage, calendar: ChinaCalendar) -> dt.date:
    """The latest due day for which the stage is reached by `as_of`: a customer whose oldest
    overdue invoice fell due on or before it has reached the stage (stage_day is monotone)."""
    if stage.day_kind != DayKind.BUSINESS:
        return as_of - dt.timedelta(days=stage.offset_days)
    # add_business_days(d, n) >= d + n, so the answer is at most as_of - n; walk back from there.
    day = as_of - dt.timedelta(days=max(stage.offset_days, 0))
    while stage_day(day, stage, calendar) > as_of:
        day -= dt.timedelta(days=1)
    return day
