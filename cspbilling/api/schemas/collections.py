"""Collections: a customer's state (the restrict flag the ordering tools read), and dry runs.
Money is text ("1234.50"), never a number."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from ninja import Schema
from pydantic import Field


class CollectionsRestrictionOut(Schema):
    tenant_id: UUID
    restricted: bool = Field(
        description="True: refuse new orders and quantity increases (an overdue stage says so)."
    )
    policy_version: str | None
    since: dt.date | None


class CollectionsStageAheadOut(Schema):
    day: dt.date
    stage: str
    actions: list[str]


class CollectionsActionOut(Schema):
    day: dt.date
    stage: str
    action: str
    status: str
    reason: str
    policy_version: str
    invoices: list[str]
    amount: str


class CollectionsStateOut(Schema):
    tenant_id: UUID
    policy_version: str | None
    acknowledged: bool
    restricted: bool
    overdue_amount: str | None = Field(description="Overdue and undisputed; null when none.")
    currency: str | None
    oldest_due_on: dt.date | None
    ahead: list[CollectionsStageAheadOut] = Field(description="If nothing is paid.")
    actions: list[CollectionsActionOut] = Field(description="Newest first, at most 50.")


class CollectionsRunIn(Schema):
    as_of: dt.date | None = Field(
        None, description="The day to plan for (today when absent), 2000-01-01 to 2100-12-31."
    )
    limit: int = Field(
        1000,
        ge=0,
        le=10000,
        description="How many planned actions to list (all are counted in `total` and `counts`).",
    )


class CollectionsPlannedActionOut(Schema):
    customer_id: int
    stage: str
    action: str
    status: str
    reason: str
    policy_version: str
    acknowledged: bool
    invoices: list[str]
    amount: str
    currency: str


class CollectionsRunOut(Schema):
    as_of: dt.date
    dry_run: bool
    paused: bool
    breaker: str | None
    total: int = Field(description="Every action the run would take.")
    counts: dict[str, int]
    actions: list[CollectionsPlannedActionOut] = Field(
        description="The first `limit` of them, by customer."
    )
