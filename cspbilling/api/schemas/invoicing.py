"""Price rules and customer groups. Percentages and prices are text ("12.5"), never floats."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from cspbilling.api.common import NO_NUL
from cspbilling.api.schemas.credit_notes import FapiaoBrief

NAME = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank, no NUL
PERCENT = r"^\s*-?\d{1,4}(\.\d{1,3})?\s*$"
UNIT_PRICE = r"^\s*\d{1,10}(\.\d{1,6})?\s*$"
Method = Literal["percent", "unit_price", "exclude"]


class PriceRuleIn(Schema):
    name: str = Field(max_length=200, pattern=NAME)
    customer_tenant_id: UUID | None = Field(None, description="One customer, or none.")
    group: str | None = Field(None, max_length=100, pattern=NO_NUL, description="A group's name.")
    offer_id: str = Field("", max_length=128, pattern=NO_NUL)
    durable_offer_id: str = Field("", max_length=128, pattern=NO_NUL)
    method: Method
    percent: str | None = Field(
        None, pattern=PERCENT, examples=["12.5"], description="Markup (+) or discount (-)."
    )
    unit_price: str | None = Field(None, pattern=UNIT_PRICE, examples=["150.00"])
    currency: str = Field("", max_length=3, pattern=NO_NUL)
    tax_category: str = Field("cloud-services", max_length=32, pattern=NO_NUL)
    effective_from: dt.date
    effective_to: dt.date | None = None


class PriceRuleChange(Schema):
    """Only the fields sent change."""

    name: str | None = Field(None, max_length=200, pattern=NAME)
    method: Method | None = None
    percent: str | None = Field(None, pattern=PERCENT)
    unit_price: str | None = Field(None, pattern=UNIT_PRICE)
    currency: str | None = Field(None, max_length=3, pattern=NO_NUL)
    tax_category: str | None = Field(None, max_length=32, pattern=NO_NUL)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class PriceRuleOut(Schema):
    id: int
    name: str
    customer_tenant_id: UUID | None
    group: str | None
    offer_id: str
    durable_offer_id: str
    method: Method
    percent: str | None
    unit_price: str | None
    currency: str
    tax_category: str
    tax_rate: str
    effective_from: dt.date
    effective_to: dt.date | None
    specificity: int = Field(description="Higher wins when several rules apply.")
    created_by: str


class PriceRulePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PriceRuleOut]


class GroupIn(Schema):
    name: str = Field(max_length=100, pattern=NAME)
    description: str = Field("", max_length=255, pattern=NO_NUL)


class GroupOut(Schema):
    id: int
    name: str
    description: str
    customers: int


class CustomerGroupIn(Schema):
    group: str | None = Field(max_length=100, pattern=NO_NUL, description="None: no group.")


class CustomerInvoiceOut(Schema):
    id: int
    number: str | None = Field(description="None while a draft.")
    customer_tenant_id: UUID
    customer_name: str
    period: str = Field(description="The billed month, YYYY-MM.")
    status: Literal["draft", "issued", "discarded"]
    corrects: int | None = Field(
        description="On a supplementary invoice: the id of the issued invoice it adds to."
    )
    issued_on: dt.date | None
    due_on: dt.date | None
    subtotal: str
    tax: str
    total: str
    currency: str
    credited: str = Field(description="What issued credit notes gave back on it.")
    fapiao: FapiaoBrief | None = Field(description="Its fapiao, once requested.")


class CustomerInvoicePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerInvoiceOut]


class CustomerInvoiceLineOut(Schema):
    id: int
    subscription_id: str
    offer_id: str
    durable_offer_id: str
    offer_name: str
    charge_type: str
    charge_start: dt.date | None
    charge_end: dt.date | None
    quantity: str
    period_fraction: str | None = Field(
        None,
        description="A fixed-price line: the share of a full period it bills (10 of 31 days: "
        '"0.322581"); null for a whole period or when there is none to read.',
    )
    net: str
    tax_rate: str
    tax: str
    upstream_lines: int = Field(description="How many reconciliation rows this line bills.")
    upstream_line_ids: list[int] | None = Field(
        None, description="Staff only: the reconciliation rows (upstream line ids) it bills."
    )


class BillingRunIn(Schema):
    period: str = Field(pattern=r"^[12]\d{3}-(0[1-9]|1[0-2])$", examples=["2026-10"])
    customer_tenant_id: UUID | None = None
    dry_run: bool = False


class BillingRunAccepted(Schema):
    id: int
    period: str
    dry_run: bool
    status: str
    status_url: str = Field(description="GET it until the status is no longer queued/running.")


class BillingRunProgress(Schema):
    stage: str | None = Field(
        description="unbilled reasons, groups, pricing, writing or trace (on SQLite shown only "
        "before and after the run's write transaction)"
    )
    stage_number: int | None
    stages: int
    done: int | None = Field(description="Groups priced or invoice lines written so far.")
    total: int | None
    percent: int | None


class BillingRunOut(Schema):
    id: int
    period: str
    dry_run: bool
    status: str
    requested_by: str
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: BillingRunProgress
    error: str = Field(description="Why a failed run stopped (it changed nothing).")
    summary: dict = Field(description="What a succeeded run did; empty until then.")


class IssueIn(Schema):
    invoice_ids: list[int] = Field(min_length=1, max_length=5000)
