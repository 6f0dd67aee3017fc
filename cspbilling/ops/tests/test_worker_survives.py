"""The worker outlives a database that is locked or drops its connection: nothing restarts it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import queue_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
PROJECT_DIR = Path(settings.BASE_DIR).parent


def start_worker(database_url: str, smtp_server) -> subprocess.Popen:
    env = {
        **os.environ,
        "CSPBILLING_DATABASE_URL": database_url,
        "CSPBILLING_SMTP_HOST": smtp_server.host,
        "CSPBILLING_SMTP_PORT": str(smtp_server.port),
        "CSPBILLING_SQLITE_BUSY_TIMEOUT": "0.5",
        "CSPBILLING_PC_SYNC_MINUTES": "0",
        "DJANGO_SETTINGS_MODULE": "cspbilling.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cspbilling.cli", "worker", "--interval", "0.1",
         "--recover-every", "0.3", "--worker-id", "survivor"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def queue_one(key: str) -> None:
    with transaction.atomic():
        queue_email(to=["ap@contoso.example"], subject=key, body="Statement", idempotency_key=key)


def wait_delivered(key: str, worker: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, f"the worker exited: {worker.communicate()[0]}"
        status = OutboundMessage.objects.get(idempotency_key=key).status
        if status == MessageStatus.DELIVERED:
            return
        time.sleep(0.2)
    raise AssertionError(f"{key} was not delivered in {timeout} s")


def stop(worker: subprocess.Popen) -> str:
    worker.terminate()
    return worker.communicate(timeout=20)[0]


def break_the_database_under(worker: subprocess.Popen) -> None:
    if connection.vendor == "sqlite":
        # Hold the write lock far longer than the worker's busy timeout (0.5 s).
        holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=5)
        holder.execute("BEGIN IMMEDIATE")
        time.sleep(4)
        holder.rollback()
        holder.close()
        return
    # PostgreSQL: cut the worker's connections and refuse new ones for a while, as a restart or
    # a failover would. (ALTER DATABASE must come from a connection to another database.)
    import psycopg

    db = settings.DATABASES["default"]
    name = connection.ops.quote_name(db["NAME"])
    admin = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [db["NAME"], connection.connection.info.backend_pid],
            )
            time.sleep(4)
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")


def test_the_worker_waits_out_a_database_failure_and_goes_on(
    database_url_for_subprocess, smtp_server
):
    worker = start_worker(database_url_for_subprocess, smtp_server)
    try:
        queue_one("before")
        wait_delivered("before", worker)
        break_the_database_under(worker)
        assert worker.poll() is None, worker.communicate()[0]
        queue_one("after")
        wait_delivered("after", worker)
    finally:
        output = stop(worker) if worker.poll() is None else worker.communicate()[0]
    assert "database unavailable" in output, output
    assert "Traceback" not in output, output
