"""The test clock: moved forward (the `clock` fixture) or to a replayed day (`moved_clock`),
`timezone.now` and the rows saved with its default move with it, and both come back after."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from cspbilling.audit.models import AuditEvent
from cspbilling.core.clock import SHANGHAI, moved_clock


def _event() -> AuditEvent:
    return AuditEvent.objects.create(
        actor="t", action="x", object_type="t", object_id="1", prev_hash="p", hash=uuid.uuid4().hex
    )


@pytest.mark.django_db
def test_a_row_saved_under_the_forward_clock_carries_the_moved_time(clock):
    later = clock.advance(days=3)
    assert later - dt.datetime.now(dt.UTC) > dt.timedelta(days=2, hours=23)
    saved = _event()
    assert abs(saved.occurred_at - later) < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_replayed_day_moves_defaults_and_gives_them_back():
    with moved_clock(dt.date(2026, 5, 1), hour=9) as moment:
        assert moment == dt.datetime(2026, 5, 1, 9, tzinfo=SHANGHAI)
        assert _event().occurred_at == moment
    after = _event()
    assert abs(after.occurred_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
