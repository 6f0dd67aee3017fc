"""Credit notes and fapiaos. Money is text ("12.50"), never a JSON number."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from cspbilling.api.common import NO_NUL

# A credit on a line has the line's sign (a negative line is credited with a negative amount).
SIGNED_AMOUNT = r"^\s*-?\d{1,15}(\.\d{1,2})?\s*$"
REASON = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank, no NUL


class CreditLineIn(Schema):
    invoice_line_id: int
    amount: str = Field(pattern=SIGNED_AMOUNT, examples=["40.00"], description="Net, no VAT.")


class CreditNoteIn(Schema):
    reason: str = Field(max_length=1000, pattern=REASON, description="The customer reads it.")
    lines: list[CreditLineIn] | None = Field(
        None,
        max_length=10_000,
        description="Net amounts by invoice line; none: everything left on every line.",
    )
    issue: bool = Field(True, description="false: keep it as a draft for review.")


class DiscardIn(Schema):
    reason: str = Field(max_length=1000, pattern=REASON)


class CreditNoteOut(Schema):
    id: int
    number: str | None = Field(description="None while a draft.")
    invoice_number: str
    customer_tenant_id: UUID
    status: Literal["draft", "issued", "discarded"]
    origin: Literal["manual", "upstream_correction"]
    reason: str
    issued_on: dt.date | None
    subtotal: str
    tax: str
    total: str
    currency: str


class CreditNotePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CreditNoteOut]


class CreditNoteLineOut(Schema):
    invoice_line_id: int
    offer_name: str
    subscription_id: str
    net: str
    tax: str


class FapiaoRequestIn(Schema):
    kind: Literal["general", "special"]


class FapiaoIssuedIn(Schema):
    number: str = Field(max_length=40, pattern=NO_NUL, examples=["26332000000012345678"])
    issued_on: dt.date


class FapiaoOut(Schema):
    id: int
    invoice_number: str
    credit_note_number: str | None = Field(description="Set on a red-letter fapiao.")
    red_letter_of: str | None = Field(description="The fapiao number a red-letter one reverses.")
    kind: Literal["general", "special"]
    status: Literal["requested", "issued", "red_lettered"]
    number: str | None
    issued_on: dt.date | None
    net: str
    tax: str
    total: str
    currency: str
    buyer_name: str
    buyer_tax_id: str
    buyer_address: str
    buyer_phone: str
    buyer_bank_name: str
    buyer_bank_account: str
    requested_on: dt.date


class FapiaoBrief(Schema):
    kind: Literal["general", "special"]
    status: Literal["requested", "issued", "red_lettered"]
    number: str | None
    issued_on: dt.date | None
