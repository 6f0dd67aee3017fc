"""Business days and business hours of the China calendar.

Public holidays and the weekend days that are official working days (调休) come from the
maintained `holidays` library; staff add what it does not know yet (`CalendarDay`), and their
days win. Collections counts stage offsets in business days, cases and escalations count SLAs
in business hours; both use this one calendar so a customer is never told two different days.

Build one with `china_calendar()` per run or request (it reads the staff days once) and ask it
as many questions as you like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone

MAX_STEPS = 3660  # ten years of days: a loop bound, not a business rule


@lru_cache(maxsize=64)
def _library_year(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    cn = holidays.China(years=year, language="en_US")
    days_off = {day: name for day, name in cn.items() if day.year == year}
    working_weekends = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return days_off, working_weekends


def parse_business_hours(text: str) -> tuple[dt.time, dt.time]:
    """'09:00-18:00' → (09:00, 18:00); the end must be after the start."""
    try:
        start_text, end_text = text.split("-")
        start, end = (
            dt.time.fromisoformat(start_text.strip()),
            dt.time.fromisoformat(end_text.strip()),
        )
    except ValueError:
        raise ValueError(f"business hours {text!r} are not like 09:00-18:00") from None
    if end <= start:
        raise ValueError(f"business hours {text!r} end before they start")
    return start, end


class ChinaCalendar:
    """The library's days plus staff overrides: `{day: True}` is a working day, False a day off."""

    def __init__(
        self,
        overrides: dict[dt.date, bool] | None = None,
        *,
        hours: tuple[dt.time, dt.time] | None = None,
        tz: ZoneInfo | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.opens, self.closes = hours or parse_business_hours(settings.BUSINESS_HOURS)
        self.tz = tz or ZoneInfo(settings.TIME_ZONE)

    # days

    def is_business_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        days_off, working_weekends = _library_year(day.year)
        if day in working_weekends:
            return True
        return day.weekday() < 5 and day not in days_off

    def day_name(self, day: dt.date) -> str | None:
        """Why a weekday is off (the holiday's name), or None."""
        return _library_year(day.year)[0].get(day)

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th business day after `day` (before it if negative); 0 gives `day` itself."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        for _ in range(MAX_STEPS):
            if remaining == 0:
                return day
            day += dt.timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        raise ValueError(f"no {count} business days around {day} within ten years")

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days in (start, end]: how many business days `end` is after `start`."""
        if end <= start:
            return -self.business_days_between(end, start) if end < start else 0
        return sum(
            1 for day in _days(start + dt.timedelta(days=1), end) if self.is_business_day(day)
        )

    def next_business_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a business day, else the next one."""
        return day if self.is_business_day(day) else self.add_business_days(day, 1)

    # hours

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Seconds of business hours between two aware datetimes (0 if end is not after start)."""
        if end <= start:
            return 0
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = 0
        for day in _days(start.date(), end.date()):
            if not self.is_business_day(day):
                continue
            opens, closes = self._window(day)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += int((hi - lo).total_seconds())
        return total

    def add_business_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The moment `seconds` of business hours after `start` (a due time for an SLA)."""
        moment = start.astimezone(self.tz)
        remaining = seconds
        day = moment.date()
        for _ in range(MAX_STEPS):
            if self.is_business_day(day):
                opens, closes = self._window(day)
                lo = max(opens, moment)
                if lo < closes:
                    available = int((closes - lo).total_seconds())
                    if remaining <= available:
                        return lo + dt.timedelta(seconds=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError(f"no {seconds} business seconds after {start} within ten years")

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.opens, tzinfo=self.tz),
            dt.datetime.combine(day, self.closes, tzinfo=self.tz),
        )


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def china_calendar() -> ChinaCalendar:
    """The calendar with the staff's days, read now."""
    from cspbilling.workdays.models import CalendarDay, DayKind

    overrides = {
        row.day: row.kind == DayKind.WORKDAY for row in CalendarDay.objects.only("day", "kind")
    }
    return ChinaCalendar(overrides)


def today() -> dt.date:
    return timezone.localdate()
