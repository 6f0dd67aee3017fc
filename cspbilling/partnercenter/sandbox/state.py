"""The sandbox's state: the seeded world, faults, continuation tokens and a request log.

Every read and change happens under ``lock`` (an RLock); the server also encodes each answer
under it, so a page never sees a half-made change.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cspbilling.partnercenter.sandbox import ledger, persist
from cspbilling.partnercenter.sandbox import seed as seeding
from cspbilling.partnercenter.sandbox.faults import FaultConfig

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 (a fixed local test token, not a secret)
# Who Partner Center says wrote the notes the partner adds (cspbilling passes its setting
# PARTNER_CENTER["PARTNER_AUTHOR_NAME"], so that the sandbox and the poller agree).
DEFAULT_PARTNER_AUTHOR = "Sandbox CSP Partner"

CLOUDS = ("china", "global")


def check_cloud(cloud: str) -> str:
    value = (cloud or "").strip().lower()
    if value not in CLOUDS:
        raise ValueError(f"cloud must be china or global, not {cloud!r}")
    return value


class SandboxError(Exception):
    """An answer in Partner Center's error shape."""

    def __init__(
        self,
        status: int,
        code: int | str | None,
        description: str,
        *,
        data: list[Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
        self.data = data or []

    def body(self) -> dict[str, Any]:
        """``code`` is null where the documents give no code for the case."""
        return error_body(self.code, self.description, self.data)


def error_body(code: int | str | None, description: str, data: list[Any] | None = None) -> dict:
    return {"code": code, "description": description, "data": data or [], "source": "PartnerFD"}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SandboxState:
    def __init__(
        self,
        *,
        customers: int = 50,
        seed: int = 1,
        token: str = DEFAULT_TOKEN,
        anchor: date | None = None,
        cloud: str = "china",
        state_file: str | Path | None = None,
        partner_author: str = DEFAULT_PARTNER_AUTHOR,
    ) -> None:
        self.lock = threading.RLock()
        self.partner_author = partner_author or DEFAULT_PARTNER_AUTHOR
        self.customers_count, self.seed, self.anchor, self.token = customers, seed, anchor, token
        self.cloud = check_cloud(cloud)
        self.state_file = Path(state_file) if state_file else None
        self.faults = FaultConfig()
        # Playing a cloud that still offers POST /v1/servicerequests (escalations' api mode).
        self.service_request_api = False
        self.requests: deque[dict[str, Any]] = deque(maxlen=50_000)
        self._tokens: dict[str, tuple[str, int, Any]] = {}
        self._token_ids = itertools.count(1)
        self.loaded_from: Path | None = None
        if self.state_file is not None and self.state_file.exists():
            self.world, data = persist.load(self.state_file)
            self.seed, self.anchor = self.world.seed, self.world.anchor
            self.customers_count = int(data.get("customers_count", len(self.world.customers)))
            self.loaded_from = self.state_file
        else:
            self.reset()

    def reset(
        self,
        *,
        customers: int | None = None,
        seed: int | None = None,
        cloud: str | None = None,
        partner_author: str | None = None,
    ) -> None:
        """Back to freshly seeded data, no faults, empty request log."""
        with self.lock:
            if partner_author:
                self.partner_author = partner_author
            if customers is not None:
                self.customers_count = customers
            if seed is not None:
                self.seed = seed
            if cloud is not None:
                self.cloud = check_cloud(cloud)
            self.world = seeding.build_world(
                customers=self.customers_count, seed=self.seed, anchor=self.anchor
            )
            self.faults = FaultConfig()
            self.service_request_api = False
            self.requests.clear()
            self._tokens.clear()
            self.write_state_file()

    def write_state_file(self) -> None:
        """Write the state file, if there is one (after each change and on shutdown)."""
        with self.lock:
            if self.state_file is not None:
                meta = {"customers_count": self.customers_count}
                persist.write(self.state_file, self.world, meta)

    # --- paging ------------------------------------------------------------------------------

    def new_continuation(self, kind: str, offset: int, context: Any) -> str:
        token = f"ct{next(self._token_ids):06d}.{self.world.rng.getrandbits(48):012x}"
        self._tokens[token] = (kind, offset, context)
        return token

    def take_continuation(self, kind: str, token: str | None) -> tuple[int, Any]:
        found = self._tokens.get(token or "")
        if found is None or found[0] != kind:
            raise SandboxError(400, None, "MS-ContinuationToken header missing or not valid")
        return found[1], found[2]

    # --- customers and subscriptions ---------------------------------------------------------

    def customer(self, customer_id: str) -> dict[str, Any]:
        found = self.world.customers.get(customer_id.lower())
        if found is None:
            raise SandboxError(404, None, f"Customer {customer_id} was not found")
        return found

    def subscription(self, customer_id: str, subscription_id: str) -> dict[str, Any]:
        self.customer(customer_id)
        found = self.world.subscriptions[customer_id.lower()].get(subscription_id.lower())
        if found is None:
            raise SandboxError(404, None, f"Subscription {subscription_id} was not found")
        return found

    def change_subscription(self, sub: dict[str, Any], changes: dict[str, Any]) -> None:
        """Apply a change (from the API or the 21Vianet side) and bump the ETag."""
        sub.update(changes)
        if "status" in changes:
            sub["actions"] = seeding.subscription_actions(sub["status"])
        sub["attributes"]["etag"] = self.world.next_etag()

    # --- support ---------------------------------------------------------------------------

    def service_request(self, sr_id: str) -> dict[str, Any]:
        found = self.world.service_requests.get(sr_id)
        if found is None:
            raise SandboxError(404, None, f"Service request {sr_id} was not found")
        return found

    def add_note(self, sr_id: str, text: str, *, by: str, status: str | None = None) -> dict:
        sr = self.service_request(sr_id)
        if not text or not text.strip():
            raise SandboxError(400, None, "NewNote.Text is required")
        stamp = now_iso()
        sr["notes"].append({"createdByName": by, "createdDate": stamp, "text": text})
        sr["lastModifiedDate"] = stamp
        if status:
            sr["status"] = status
        return sr

    def close_service_request(self, sr_id: str) -> dict[str, Any]:
        sr = self.service_request(sr_id)
        stamp = now_iso()
        sr.update(status="closed", lastClosedDate=stamp, lastModifiedDate=stamp)
        return sr

    # --- the 21Vianet side: invoices and customers -----------------------------------------

    def issue_invoice(self) -> dict[str, Any]:
        return ledger.issue_invoice(self.world, ledger.next_period_start(self.world))

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        for inv in self.world.invoices:
            if inv["id"].lower() == invoice_id.lower():
                return inv
        raise SandboxError(404, None, f"Invoice {invoice_id} was not found")

    def add_customer(self, **fields: Any) -> dict[str, Any]:
        subs = int(fields.pop("subscriptions", 1))
        customer = seeding.make_customer(self.world, **fields)
        bought = ledger.next_period_start(self.world) + timedelta(days=9)
        seeding.seed_customer_subscriptions(self.world, customer, subs, created_on=bought)
        return customer

    def remove_customer(self, customer_id: str) -> None:
        self.customer(customer_id)
        del self.world.customers[customer_id.lower()]
        del self.world.subscriptions[customer_id.lower()]

    def record(self, entry: dict[str, Any]) -> None:
        self.requests.append(entry)

    def requests_to(self, path_prefix: str = "", method: str | None = None) -> list[dict]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r["path"].startswith(path_prefix) and method in (None, r["method"])
            ]
