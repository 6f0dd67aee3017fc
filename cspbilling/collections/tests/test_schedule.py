"""The worker runs collections daily, once a day however many workers; the hour is a setting."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.collections.models import CollectionsRun
from cspbilling.collections.tasks import DAILY_JOB, daily_collections_run
from cspbilling.collections.tests.fixtures import clock
from cspbilling.core.scheduling import periodic_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_daily_run_is_scheduled_and_runs_once_a_day(settings, overdue_customer):
    job = next(j for j in periodic_jobs() if j.name == DAILY_JOB)
    assert job.interval() == dt.timedelta(days=1)
    overdue_customer(dt.date(2026, 4, 28))
    with clock(dt.date(2026, 4, 29)):
        assert daily_collections_run.call() == "collections run of 2026-04-29: 1 action(s)"
        assert daily_collections_run.call() == "skipped: 2026-04-29 was already run by the schedule"
    assert CollectionsRun.objects.count() == 1
    settings.COLLECTIONS_RUN_HOUR_UTC = -1
    assert DAILY_JOB not in {j.name for j in periodic_jobs()}
