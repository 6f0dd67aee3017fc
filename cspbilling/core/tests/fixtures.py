"""Fixtures shared by every app's tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone


@pytest.fixture(autouse=True)
def customers_locked_before_the_audit_head():
    """Every test: no transaction locks a customer after the audit chain's head (see
    `lock_order`); the test fails naming the statement."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    from cspbilling.core.tests.lock_order import LockOrderWatch

    watch = LockOrderWatch()

    def watch_new(sender, connection, **kwargs) -> None:  # threads' own connections
        if watch not in connection.execute_wrappers:
            connection.execute_wrappers.append(watch)

    for connection in connections.all(initialized_only=True):
        connection.execute_wrappers.append(watch)
    connection_created.connect(watch_new)
    try:
        yield
    finally:
        connection_created.disconnect(watch_new)
        for connection in connections.all(initialized_only=True):
            if watch in connection.execute_wrappers:
                connection.execute_wrappers.remove(watch)
    assert not watch.violations, "\n".join(dict.fromkeys(watch.violations))


@pytest.fixture
def database_url_for_subprocess(transactional_db) -> str:
    """A CSPBILLING_DATABASE_URL that points a child process at the test database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgresql://{user}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def start_worker(database_url_for_subprocess):
    """start_worker(**env) -> a running `cspbilling worker` on the test database (stopped after
    the test). The scheduled Partner Center sync is off unless the env turns it on."""
    import os
    import subprocess
    import sys

    workers = []

    def start(*args: str, **extra_env: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "CSPBILLING_DATABASE_URL": database_url_for_subprocess,
            "CSPBILLING_PC_SYNC_MINUTES": "0",
            "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
            **extra_env,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "cspbilling.cli", "worker", "--interval", "0.2", *args],
            cwd=settings.PROJECT_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.fixture
def clock():
    """The clock (the only thing tests mock) moved forward from the real now:
    `clock.advance(days=…)` adds to how far, `clock.move(days=…)` sets it; each returns the
    moved now. Model fields whose default is `timezone.now` follow it. (A replayed day at a
    given hour: `cspbilling.core.clock.moved_clock`.)"""
    from cspbilling.core.clock import clock_replaced

    real_now = timezone.now

    class Clock:
        offset = dt.timedelta(0)

        def advance(self, **delta) -> dt.datetime:
            self.offset += dt.timedelta(**delta)
            return timezone.now()

        def move(self, **delta) -> dt.datetime:
            self.offset = dt.timedelta(**delta)
            return timezone.now()

    moved = Clock()
    with clock_replaced(lambda: real_now() + moved.offset):
        yield moved
