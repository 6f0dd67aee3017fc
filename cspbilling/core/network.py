"""No network call inside a database transaction (DESIGN.md, "Services are the only write path").

A transaction that waits on Partner Center, an SMTP server or a webhook holds its row locks (on
SQLite: the whole database's write lock) for as long as the far side takes, retries included.
Every client of ours calls `refuse_inside_transaction` before it sends: fetch first (spool to a
file if large), then write in one short transaction.
"""

from __future__ import annotations

from django.db import connections


class NetworkInsideTransaction(RuntimeError):
    """A network call was about to be made while a database transaction was open."""


def open_transaction_alias() -> str | None:
    """The first database alias with a transaction of ours open (a test case's own wrapping
    transaction does not count), or None."""
    for conn in connections.all(initialized_only=True):
        if any(not block._from_testcase for block in conn.atomic_blocks):
            return conn.alias
    return None


def refuse_inside_transaction(what: str) -> None:
    alias = open_transaction_alias()
    if alias is not None:
        raise NetworkInsideTransaction(
            f"{what}: a database transaction is open ({alias!r}); fetch or send first, then "
            "write in one short transaction"
        )
