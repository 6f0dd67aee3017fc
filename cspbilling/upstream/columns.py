"""The reconciliation file formats: header aliases, format detection, required columns.

Headers match case-insensitively and ignoring spaces, underscores and hyphens, so the global
spelling (`CustomerId`) and the 21Vianet one (`CustomerID`) are the same column. Columns we do not
know are kept in the line's `source`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cspbilling.upstream.models import LineKind

# The license-based reconciliation file as documented for the global cloud, in its order
# (the 21Vianet edition spells and orders them differently; the alias table accepts both).
LICENSE_COLUMNS_GLOBAL = (
    "PartnerId",
    "CustomerId",
    "CustomerName",
    "MpnId",
    "ResellerMpnId",
    "OrderId",
    "SubscriptionId",
    "SyndicationPartnerSubscriptionNumber",
    "OfferId",
    "DurableOfferId",
    "OfferName",
    "SubscriptionStartDate",
    "SubscriptionEndDate",
    "ChargeStartDate",
    "ChargeEndDate",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "Amount",
    "TotalOtherDiscount",
    "Subtotal",
    "Tax",
    "TotalForCustomer",
    "Currency",
    "DomainName",
    "SubscriptionName",
    "SubscriptionDescription",
    "BillingCycleType",
    "InvoiceNumber",
)


def header_key(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch not in " _-\ufeff")


# Alternative spellings → the canonical (global) name.
ALIASES: dict[str, str] = {
    "tier2mpnid": "ResellerMpnId",
    "customercompanyname": "CustomerName",
    "invoiceid": "InvoiceNumber",
    "taxtotal": "Tax",
    "taxamount": "Tax",
}


@dataclass(frozen=True)
class Format:
    kind: str
    # normalised field → canonical source column (None: not in this format)
    fields: dict[str, str | None]
    required: tuple[str, ...]
    # headers that identify the format (all must be present)
    signature: tuple[str, ...]


LICENSE = Format(
    kind=LineKind.LICENSE,
    fields={
        "customer_tenant_id": "CustomerId",
        "customer_name": "CustomerName",
        "subscription_id": "SyndicationPartnerSubscriptionNumber",
        "billing_subscription_id": "SubscriptionId",
        "offer_id": "OfferId",
        "durable_offer_id": "DurableOfferId",
        "offer_name": "OfferName",
        "charge_type": "ChargeType",
        "charge_start": "ChargeStartDate",
        "charge_end": "ChargeEndDate",
        "unit_price": "UnitPrice",
        "quantity": "Quantity",
        "amount": "Amount",
        "tax": "Tax",
        "total": "TotalForCustomer",
        "currency": "Currency",
    },
    required=(
        "CustomerId",
        "ChargeType",
        "ChargeStartDate",
        "ChargeEndDate",
        "Quantity",
        "Amount",
        "Tax",
        "TotalForCustomer",
        "Currency",
    ),
    signature=("SyndicationPartnerSubscriptionNumber",),
)

USAGE = Format(
    kind=LineKind.USAGE,
    fields={
        "customer_tenant_id": "CustomerId",
        "customer_name": "CustomerName",
        "subscription_id": "SubscriptionId",
        "billing_subscription_id": None,
        "offer_id": None,
        "durable_offer_id": None,
        "offer_name": "ServiceName",
        "charge_type": "ChargeType",
        "charge_start": "ChargeStartDate",
        "charge_end": "ChargeEndDate",
        "unit_price": "ListPrice",
        "quantity": "OverageQuantity",
        "amount": "PretaxCharges",
        "tax": "Tax",
        "total": "PostTaxTotal",
        "currency": "Currency",
    },
    required=(
        "CustomerId",
        "SubscriptionId",
        "ChargeType",
        "ChargeStartDate",
        "ChargeEndDate",
        "PretaxCharges",
        "Tax",
        "PostTaxTotal",
        "Currency",
    ),
    signature=("PretaxCharges", "ConsumedQuantity"),
)

ONETIME = Format(
    kind=LineKind.ONETIME,
    fields={
        "customer_tenant_id": "CustomerId",
        "customer_name": "CustomerName",
        "subscription_id": "SubscriptionId",
        "billing_subscription_id": None,
        "offer_id": "ProductId",
        "durable_offer_id": "SkuId",
        "offer_name": "ProductName",
        "charge_type": "ChargeType",
        "charge_start": "ChargeStartDate",
        "charge_end": "ChargeEndDate",
        "unit_price": "UnitPrice",
        "quantity": "BillableQuantity",
        "amount": "Subtotal",
        "tax": "Tax",
        "total": "Total",
        "currency": "Currency",
    },
    required=("CustomerId", "ChargeType", "Subtotal", "Tax", "Total", "Currency"),
    signature=("ProductId", "SkuId", "AvailabilityId"),
)

FORMATS = (LICENSE, USAGE, ONETIME)

# Every canonical name we know, keyed by header_key.
KNOWN: dict[str, str] = {}
for _fmt in FORMATS:
    for _col in [*_fmt.fields.values(), *_fmt.required, *_fmt.signature, "InvoiceNumber"]:
        if _col:
            KNOWN.setdefault(header_key(_col), _col)


def canonical(name: str) -> str | None:
    key = header_key(name)
    return ALIASES.get(key) or KNOWN.get(key)


def detect_format(canonical_names: set[str]) -> Format | None:
    for fmt in FORMATS:
        if all(col in canonical_names for col in fmt.signature):
            return fmt
    return None


# Typed fields that give back the value as written (text as is, the tenant id as a lower-case
# uuid, dates as YYYY-MM-DD): a line's `source` holds "" in their column when the value written
# is exactly that, instead of repeating it (an empty value written gives back "" too).
SOURCE_FIELDS = (
    "customer_tenant_id",
    "customer_name",
    "subscription_id",
    "billing_subscription_id",
    "offer_id",
    "durable_offer_id",
    "offer_name",
    "charge_type",
    "charge_start",
    "charge_end",
)


def format_of(kind: str) -> Format:
    return next(fmt for fmt in FORMATS if fmt.kind == kind)


# Decimal fields: "" in `source` stands for the stored value rendered with a fixed number of
# places, the number the import's first value of the column was written with ("amount:2").
DECIMAL_FIELDS = ("unit_price", "quantity", "amount", "tax", "total")
# Where, in the import's `defaults`, the places of each decimal column are kept (by canonical
# name; -1: not left out). Not a string, so never a column's name.
PLACES = ("decimal places",)


def source_fields(
    canonical_names: list[str | None], fmt: Format, defaults: dict | None = None
) -> list[str | None]:
    """For each column, the typed field its "" in `source` stands for (None: a real "")."""
    fields: list[str | None] = [None] * len(canonical_names)
    for field in SOURCE_FIELDS:
        column = fmt.fields[field]
        if column and column in canonical_names:
            fields[canonical_names.index(column)] = field
    places = (defaults or {}).get(PLACES, {})
    for field in DECIMAL_FIELDS:
        column = fmt.fields[field]
        if column and column in canonical_names and places.get(column, -1) >= 0:
            fields[canonical_names.index(column)] = f"{field}:{places[column]}"
    return fields
