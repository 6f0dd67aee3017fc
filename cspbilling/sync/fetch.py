"""Reading customers and subscriptions from Partner Center: the network half of the sync.

Runs with no transaction open; `sync.services.apply` writes what it returns in one transaction.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from cspbilling.core.progress import ProgressReporter, SilentProgress


@dataclass
class UpstreamSnapshot:
    customers: dict[str, Any] = field(default_factory=dict)  # tenant id -> resource
    subscriptions: dict[str, list[Any]] = field(default_factory=dict)  # tenant id -> resources


def fetch_snapshot(
    *, client: Any, progress: ProgressReporter | None = None, concurrency: int = 4
) -> UpstreamSnapshot:
    progress = progress or SilentProgress()
    snapshot = UpstreamSnapshot()
    progress.start("customers", total=None)
    for customer in client.iter_customers():
        snapshot.customers[str(customer.id).lower()] = customer
        progress.advance()
    progress.start("subscriptions", total=len(snapshot.customers))

    def subscriptions_of(tenant_id: str) -> tuple[str, list[Any]]:
        return tenant_id, list(client.iter_subscriptions(tenant_id))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for tenant_id, subscriptions in pool.map(subscriptions_of, list(snapshot.customers)):
            snapshot.subscriptions[tenant_id] = subscriptions
            progress.advance()
    return snapshot
