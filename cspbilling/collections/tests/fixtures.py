"""Fixtures of collections tests: the default policy, overdue invoices, a clock set to a day."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "fixtures" / "default_policy.yaml"


@pytest.fixture
def default_policy(db):
    """The default policy's published version (the migration made it; a transactional test's
    flush removes it, so it is made again here from the same file)."""
    from cspbilling.collections.policy_rules import parse_yaml
    from cspbilling.collections.selectors import default_version
    from cspbilling.collections.services import (
        do_draft_policy_version,
        do_publish_policy_version,
    )

    version = default_version()
    if version is None:
        draft = do_draft_policy_version(
            spec=parse_yaml(DEFAULT_POLICY.read_text(encoding="utf-8")), actor="t"
        )
        version = do_publish_policy_version(version=draft, actor="t")
    return version


@pytest.fixture
def overdue_invoice(issued_invoice):
    """overdue_invoice(due_on, amounts=("100",), customer=None, **customer_fields) -> an issued
    invoice falling due on `due_on`."""
    from cspbilling.invoicing.models import Invoice

    def make(due_on: dt.date, amounts=("100",), customer=None, **customer_fields):
        invoice = issued_invoice(amounts=amounts, customer=customer, **customer_fields)
        Invoice.objects.filter(pk=invoice.pk).update(issued_on=due_on, due_on=due_on)
        invoice.refresh_from_db()
        return invoice

    return make


@contextmanager
def clock(day: dt.date, hour: int = 10):
    """The clock (only the clock) at `hour` o'clock in Shanghai on `day`: `timezone.now` and
    the model fields whose default is it (they hold the function itself)."""
    from django.apps import apps
    from django.utils import timezone

    real_now = timezone.now
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo("Asia/Shanghai"))
    fields = [
        f
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if getattr(f, "default", None) is real_now
    ]
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)) as now:
        for f in fields:
            f.default = now
            f.__dict__.pop("_get_default", None)  # Django caches the default's callable
        try:
            yield moment
        finally:
            for f in fields:
                f.default = real_now
                f.__dict__.pop("_get_default", None)
