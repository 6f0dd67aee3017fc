"""Locks of invoicing. A price rule's scope has no row of its own to lock (a rule for everyone),
so creating one takes a transaction-scoped advisory lock on PostgreSQL; on SQLite the write
transaction is already the lock."""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_price_rule_scope(scope_key: str) -> None:
    """Until the transaction ends, nobody else saves a rule of this scope (so two rules that
    would tie cannot both pass the check)."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(b"price-rule:" + scope_key.encode()).digest()[:8], "big")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 63)])
