"""Reading the business calendar: a year as people check it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cspbilling.workdays.calendar import china_calendar
from cspbilling.workdays.models import CalendarDay


@dataclass(frozen=True)
class NotableDay:
    day: dt.date
    business: bool
    why: str  # the holiday's name, "working weekend day (调休)", or the staff's reason
    staff: CalendarDay | None


def notable_days(year: int) -> list[NotableDay]:
    """Every day of `year` that is not what its weekday suggests (a weekday off, a weekend day
    worked), and every day staff set, in order."""
    calendar = china_calendar()
    staff = {row.day: row for row in CalendarDay.objects.filter(day__year=year)}
    days = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        business = calendar.is_business_day(day)
        usual = day.weekday() < 5
        if business != usual or day in staff:
            if day in staff:
                why = staff[day].reason
            elif business:
                why = "Working weekend day (调休)"
            else:
                why = calendar.day_name(day) or "Day off"
            days.append(NotableDay(day, business, why, staff.get(day)))
        day += dt.timedelta(days=1)
    return days
