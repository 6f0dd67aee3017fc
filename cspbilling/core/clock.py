"""The clock moved to another moment, for replaying the past: the demo's and the training's
history (days of collections runs and deliveries, as if they had happened then) and the tests.

Moves only the clock: `django.utils.timezone.now`, and the model fields whose default is that
function (Django holds the function itself and caches it). Never used by the product at run
time: a replay runs alone, before the web app and the worker start."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def clock_replaced(now: Callable[[], dt.datetime]) -> Iterator[None]:
    """`django.utils.timezone.now` is `now` inside the block, and so are the defaults of the
    model fields whose default is that function."""
    from django.apps import apps
    from django.utils import timezone

    real_now = timezone.now
    fields = [
        f
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if getattr(f, "default", None) is real_now
    ]
    with mock.patch("django.utils.timezone.now", new=now):
        for f in fields:
            f.default = now
            f.__dict__.pop("_get_default", None)  # Django caches the default's callable
        try:
            yield
        finally:
            for f in fields:
                f.default = real_now
                f.__dict__.pop("_get_default", None)


@contextmanager
def moved_clock(day: dt.date, hour: int = 10) -> Iterator[dt.datetime]:
    """The clock at `hour` o'clock in Shanghai on `day` inside the block."""
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)
    in_utc = moment.astimezone(dt.UTC)
    with clock_replaced(lambda: in_utc):
        yield moment
