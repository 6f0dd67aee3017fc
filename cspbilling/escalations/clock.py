"""When the next reminder and customer update are due: N business days of the China calendar
from now, at the same time of day (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from cspbilling.workdays.calendar import china_calendar

CHINA = ZoneInfo("Asia/Shanghai")


def business_days_later(at: dt.datetime, days: int) -> dt.datetime:
    local = at.astimezone(CHINA)
    day = china_calendar().add_business_days(local.date(), max(days, 1))
    return dt.datetime.combine(day, local.time(), tzinfo=CHINA).astimezone(dt.UTC)
