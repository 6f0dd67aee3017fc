"""The PostgreSQL health check that needs no round trip: a healthy idle connection is used as
it is; one the server closed (restart, pg_terminate_backend) is noticed before a request's
query, so the request reconnects instead of failing.

It runs on both test databases: it opens its own connections to the PostgreSQL server (the
maintenance database `postgres`), which CI always has."""

from __future__ import annotations

import os
import tempfile
import time
from urllib.parse import urlsplit

import psycopg

from cspbilling.core.dbbackends.postgresql.base import DatabaseWrapper

URL = os.environ.get("CSPBILLING_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/cspbilling")


def _wrapper() -> DatabaseWrapper:
    parts = urlsplit(URL)
    settings = {
        "ENGINE": "cspbilling.core.dbbackends.postgresql",
        "NAME": "postgres",
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": {},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
    }
    return DatabaseWrapper(settings, alias="health-probe")


def _terminate(pid: int) -> None:
    parts = urlsplit(URL)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def _sent_while(wrapper: DatabaseWrapper, call) -> tuple[object, str]:
    """What `call` returns, and the protocol messages libpq sent meanwhile (its trace)."""
    with tempfile.TemporaryFile() as trace:
        pgconn = wrapper.connection.pgconn
        pgconn.trace(trace.fileno())
        try:
            result = call()
        finally:
            pgconn.untrace()
        trace.seek(0)
        return result, trace.read().decode()


def _backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_healthy_idle_connection_is_kept_and_a_closed_one_replaced(django_db_blocker) -> None:
    wrapper = _wrapper()
    with django_db_blocker.unblock():
        _check(wrapper)


def _check(wrapper: DatabaseWrapper) -> None:
    try:
        pid = _backend_pid(wrapper)
        assert _sent_while(wrapper, wrapper.is_usable) == (True, "")  # nothing on the wire
        wrapper.health_check_done = False
        wrapper.close_if_health_check_failed()
        assert _backend_pid(wrapper) == pid  # kept: the same server process answers

        # Django's own check would have asked the server (a query on the wire):
        _, sent = _sent_while(wrapper, lambda: super(DatabaseWrapper, wrapper).is_usable())
        assert "SELECT 1" in sent

        _terminate(pid)
        for _ in range(50):  # the server's farewell reaches the socket within moments
            if not wrapper.is_usable():
                break
            time.sleep(0.02)
        assert not wrapper.is_usable()
        # What Django does before a request's first query: close it, then connect again.
        wrapper.health_check_done = False
        wrapper.close_if_health_check_failed()
        assert _backend_pid(wrapper) != pid
    finally:
        wrapper.close()
