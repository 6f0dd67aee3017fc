"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django asks `SELECT 1` before the first query of every request: one
more round trip each time (a quarter of an API read's). An idle connection the server has
closed (a restart, an administrator's pg_terminate_backend, an idle timeout) has something to
read on its socket: the server's farewell, or the end of the stream; a healthy idle one has
nothing. So look at the socket without waiting, and only when it has something to say ask
`SELECT 1` as Django does (which fails, and Django reconnects before the request's query).
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        if self.connection.closed or self.connection.broken:
            return False
        if self.in_atomic_block:
            return super().is_usable()
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if readable else True
