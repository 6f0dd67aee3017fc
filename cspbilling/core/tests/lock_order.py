"""A watch on every test's statements (PostgreSQL, where rows are locked): no service
transaction locks a customer after it took the audit chain's head.

Every change of what a customer owes locks the customer first (payments, credits, dispute
holds, the collections run); every audited change takes the chain's head. A transaction that
takes the head and then waits for a customer deadlocks with one that holds the customer and
waits for the head (a collections run holds the customers it may suspend, then the head): a
credit note issued during a run failed so. The order is checked here on every test, not only
on the paths someone thought of. (SQLite has no row locks: its statements carry no FOR UPDATE
and the watch sees nothing.)
"""

from __future__ import annotations

import re
import traceback
import weakref
from typing import Any

CUSTOMER_LOCK = re.compile(r'FROM "customers_customer"\s.*FOR UPDATE', re.S)
HEAD_LOCK = re.compile(r'FROM "audit_auditchainhead"\s.*FOR UPDATE', re.S)


class LockOrderWatch:
    """An execute wrapper recording each customer locked after the chain's head in the same
    durable transaction (the service's own: the test's enclosing transaction is not durable)."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.transactions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, execute, sql: str, params: Any, many: bool, context: dict) -> Any:
        if "FOR UPDATE" in sql:
            self._see(context["connection"], sql, params)
        return execute(sql, params, many, context)

    def _see(self, connection, sql: str, params: Any) -> None:
        durable = next((block for block in connection.atomic_blocks if block.durable), None)
        if durable is None:
            return
        state = self.transactions.setdefault(durable, {"head": False, "customers": set()})
        if HEAD_LOCK.search(sql):
            state["head"] = state["head"] or _caller()
        elif CUSTOMER_LOCK.search(sql):
            ids = {p for p in (params or ()) if isinstance(p, int)}
            new = ids - state["customers"]
            waits = "NOWAIT" not in sql and "SKIP LOCKED" not in sql  # (those never wait)
            if state["head"] and waits and (new or not ids):
                self.violations.append(
                    f"customer(s) {sorted(new) or 'selected by a subquery'} locked by "
                    f"{_caller()} after the audit chain's head, taken by {state['head']}"
                )
            state["customers"] |= ids


def _caller() -> str:
    """Where in the application the statement comes from: its innermost frames outside the
    locks, the audit service and the ORM."""
    frames = [
        f"{frame.filename.split('cspbilling/', 1)[-1]}:{frame.lineno} {frame.name}"
        for frame in traceback.extract_stack()
        if "/cspbilling/" in frame.filename
        and "/tests/" not in frame.filename
        and not frame.filename.endswith(("locks.py", "audit/services.py", "core/services.py"))
    ]
    return " < ".join(reversed(frames[-3:])) or "?"
