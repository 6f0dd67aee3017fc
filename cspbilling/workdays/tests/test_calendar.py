"""The China calendar: Golden Week is off, its 调休 Saturday is a working day, staff days win,
business hours skip nights, weekends and holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar, parse_business_hours
from cspbilling.workdays.services import (
    CalendarError,
    do_remove_calendar_day,
    do_set_calendar_day,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = parse_business_hours("09:00-18:00")


def calendar(**overrides: bool) -> ChinaCalendar:
    return ChinaCalendar(
        {dt.date.fromisoformat(k[1:]): v for k, v in overrides.items()},
        hours=NINE_TO_SIX,
        tz=SHANGHAI,
    )


def test_golden_week_2026_is_off_and_its_tiaoxiu_saturday_is_a_working_day() -> None:
    cal = calendar()
    for day in range(1, 8):
        assert not cal.is_business_day(dt.date(2026, 10, day)), day
    assert cal.is_business_day(dt.date(2026, 10, 10))  # Saturday, worked for the 7th
    assert cal.is_business_day(dt.date(2026, 9, 20))  # Sunday, worked for the 6th
    assert not cal.is_business_day(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert cal.day_name(dt.date(2026, 10, 1)) == "National Day"


def test_counting_business_days_across_golden_week() -> None:
    cal = calendar()
    # Due Tue 29 Sep 2026: 30 Sep is day 1, then the holiday, then Thu 8 Oct is day 2.
    assert cal.add_business_days(dt.date(2026, 9, 29), 1) == dt.date(2026, 9, 30)
    assert cal.add_business_days(dt.date(2026, 9, 29), 2) == dt.date(2026, 10, 8)
    assert cal.add_business_days(dt.date(2026, 9, 29), 4) == dt.date(2026, 10, 10)
    assert cal.add_business_days(dt.date(2026, 10, 10), -4) == dt.date(2026, 9, 29)
    assert cal.business_days_between(dt.date(2026, 9, 29), dt.date(2026, 10, 10)) == 4
    assert cal.business_days_between(dt.date(2026, 10, 10), dt.date(2026, 9, 29)) == -4
    assert cal.add_business_days(dt.date(2026, 10, 3), 0) == dt.date(2026, 10, 3)
    assert cal.next_business_day(dt.date(2026, 10, 3)) == dt.date(2026, 10, 8)


def test_staff_days_win_over_the_library() -> None:
    cal = calendar(d20261009=False, d20261011=True)
    assert not cal.is_business_day(dt.date(2026, 10, 9))
    assert cal.is_business_day(dt.date(2026, 10, 11))


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    cal = calendar()
    start = dt.datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)  # last business hour before the break
    # 4 business hours later: 1 h on 30 Sep, then 3 h on Thu 8 Oct.
    assert cal.add_business_seconds(start, 4 * 3600) == dt.datetime(
        2026, 10, 8, 12, 0, tzinfo=SHANGHAI
    )
    assert (
        cal.business_seconds_between(start, dt.datetime(2026, 10, 8, 12, 0, tzinfo=SHANGHAI))
        == 4 * 3600
    )
    # Asked at night in UTC: counting starts at the next opening in Shanghai.
    night = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)  # 00:00 Tue in Shanghai
    assert cal.add_business_seconds(night, 3600) == dt.datetime(
        2026, 11, 24, 10, 0, tzinfo=SHANGHAI
    )
    assert cal.business_seconds_between(night, night - dt.timedelta(hours=1)) == 0


@pytest.mark.parametrize("text", ["9-18", "18:00-09:00", "09:00"])
def test_business_hours_that_make_no_sense_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_business_hours(text)


@pytest.mark.django_db(transaction=True)
def test_staff_set_and_remove_a_day_audited() -> None:
    day = dt.date(2026, 12, 31)
    assert china_calendar().is_business_day(day)
    do_set_calendar_day(day=day, kind="holiday", reason="Year-end closing", actor="finance1")
    assert not china_calendar().is_business_day(day)
    do_set_calendar_day(day=day, kind="holiday", reason="Office closed", actor="finance1")
    assert do_remove_calendar_day(day=day, actor="finance1") is True
    assert do_remove_calendar_day(day=day, actor="finance1") is False
    assert china_calendar().is_business_day(day)
    actions = list(
        AuditEvent.objects.filter(object_type="calendar_day").values_list("action", flat=True)
    )
    assert actions == ["calendar.day_set", "calendar.day_set", "calendar.day_removed"]
    with pytest.raises(CalendarError):
        do_set_calendar_day(day=day, kind="holiday", reason="  ", actor="finance1")
    with pytest.raises(CalendarError):
        do_set_calendar_day(day=day, kind="weekend", reason="x", actor="finance1")
