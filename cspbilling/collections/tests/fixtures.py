"""Fixtures of collections tests: the default policy, overdue invoices, a clock set to a day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cspbilling.core.clock import moved_clock

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


def pay_by_transfer(customer, amount: str, *, on: dt.date, reference: str) -> None:
    """A bank transfer of `amount` CNY from `customer`, received on `on`, recorded by finance."""
    from decimal import Decimal

    from cspbilling.payments.services import do_record_payment

    do_record_payment(
        customer=customer,
        amount=Decimal(amount),
        currency="CNY",
        received_on=on,
        method="bank_transfer",
        reference=reference,
        actor="finance1",
    )


def clock(day: dt.date, hour: int = 10):
    """The clock (only the clock) at `hour` o'clock in Shanghai on `day`."""
    return moved_clock(day, hour)


def worker_cycle() -> None:
    """One cycle of the worker: every task that is due, until none is (in this process)."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="collections-test",
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def overdue_customer(mirror_from_sandbox, overdue_invoice, default_policy):
    """overdue_customer(due_on, email=…, language="en") -> (Mirrored, invoice of 1,060.00): a
    sandbox customer with an active subscription and an invoice due on `due_on`."""

    def make(due_on: dt.date, *, email: str | None = None, language: str = "en"):
        m = mirror_from_sandbox(language=language, email=email)
        return m, overdue_invoice(due_on, amounts=("1000",), customer=m.customer)

    return make


def run_day(day: dt.date, *, cycles: int = 2, dry_run: bool = False):
    """The daily run of `day` at 10:00, then worker cycles (notices, commands, answers)."""
    from cspbilling.collections.services import do_collections_run

    with clock(day):
        result = do_collections_run(as_of=day, actor="scheduler", dry_run=dry_run)
        for _ in range(cycles):
            worker_cycle()
    return result
