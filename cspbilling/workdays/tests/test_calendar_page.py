"""The business calendar page: staff read the year's holidays and 调休 days; finance sets a day
(which then counts), removes it again; readers cannot; a bad day changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.workdays.calendar import china_calendar
from cspbilling.workdays.models import CalendarDay

pytestmark = pytest.mark.django_db
PAGE = "/console/calendar/"


def test_staff_read_the_year_and_finance_sets_and_removes_a_day(client_for, staff_users):
    reader = client_for(staff_users["readonly"])
    page = reader.get(PAGE, {"year": 2026}).content.decode()
    assert "National Day" in page and 'data-day="2026-10-10"' in page  # the 调休 Saturday
    assert 'id="set-day"' not in page
    form = {"day": "2026-12-31", "kind": "holiday", "reason": "Year-end closing"}
    assert reader.post(PAGE, form).status_code == 403

    finance = client_for(staff_users["finance"])
    done = finance.post(PAGE, form, follow=True).content.decode()
    assert "Year-end closing" in done and 'data-day="2026-12-31"' in done
    assert not china_calendar().is_business_day(dt.date(2026, 12, 31))

    refused = finance.post(PAGE, form | {"reason": " "})
    assert refused.status_code == 400 and CalendarDay.objects.get().reason == "Year-end closing"

    assert reader.post(f"{PAGE}2026-12-31/remove/").status_code == 403
    finance.post(f"{PAGE}2026-12-31/remove/")
    assert china_calendar().is_business_day(dt.date(2026, 12, 31))
    assert not CalendarDay.objects.exists()
