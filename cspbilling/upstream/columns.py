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

# The 21Vianet license-based editions (the reconciliation-file page for Partner Center operated
# by 21Vianet), each in its order. 2018: the global columns spelled `…ID`, no BillingCycleType.
LICENSE_COLUMNS_VIANET_2018 = (
    "PartnerId",
    "CustomerID",
    "OrderID",
    "SubscriptionID",
    "SyndicationPartnerSubscriptionNumber",
    "OfferID",
    "DurableOfferID",
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
    "CustomerName",
    "MPNID",
    "ResellerMPNID",
    "DomainName",
    "SubscriptionName",
    "SubscriptionDescription",
)
# 2016: no tenant id (the customer is a `CustomerNumber`, mapped to a customer by staff), a
# billing entity `OperatingUnit`, charge types in upper case (`CYCLE_FEE`, `PURCHASE_FEE`, …).
LICENSE_COLUMNS_VIANET_2016 = (
    "OperatingUnit",
    "CustomerNumber",
    *LICENSE_COLUMNS_VIANET_2018[2:24],
)

# The usage-based file as documented for the global cloud, in its order.
USAGE_COLUMNS_GLOBAL = (
    "PartnerId",
    "PartnerName",
    "PartnerBillableAccountId",
    "CustomerCompanyName",
    "MpnId",
    "ResellerMpnId",
    "InvoiceNumber",
    "ChargeStartDate",
    "ChargeEndDate",
    "SubscriptionId",
    "SubscriptionName",
    "SubscriptionDescription",
    "OrderId",
    "ServiceName",
    "ServiceType",
    "ResourceGuid",
    "ResourceName",
    "Region",
    "SKU",
    "DetailLineItemId",
    "ConsumedQuantity",
    "IncludedQuantity",
    "OverageQuantity",
    "ListPrice",
    "PretaxCharges",
    "TaxAmount",
    "PostTaxTotal",
    "Currency",
    "PretaxEffectiveRate",
    "PostTaxEffectiveRate",
    "ChargeType",
    "CustomerId",
    "DomainName",
    "BillingCycleType",
    "Unit",
    "CustomerBillableAccount",
    "UsageDate",
    "MeteredRegion",
    "MeteredService",
    "MeteredServiceType",
    "Project",
    "ServiceInfo",
)
_USAGE_VIANET_COMMON = tuple(
    {"CustomerCompanyName": "CustomerName", "ResourceGuid": "ResourceGUID"}.get(name, name).replace(
        "ResourceName", "Resource Name"
    )
    for name in USAGE_COLUMNS_GLOBAL[:31]  # up to ChargeType
)
# 21Vianet 2018: `CustomerName`, `ResourceGUID`, `Resource Name` (with a space), no
# BillingCycleType or Unit, the metered columns, then the customer's id and domain last.
USAGE_COLUMNS_VIANET_2018 = (
    *_USAGE_VIANET_COMMON,
    "CustomerBillableAccount",
    "UsageDate",
    "MeteredRegion",
    "MeteredService",
    "MeteredServiceType",
    "Project",
    "ServiceInfo",
    "CustomerID",
    "DomainName",
)
# 21Vianet 2016: the same spellings before the metered columns existed; `CustomerID` last.
USAGE_COLUMNS_VIANET_2016 = (*_USAGE_VIANET_COMMON, "DomainName", "CustomerID")

# Daily-rated usage (new commerce, global cloud only): not imported; recognised to say so.
DAILY_RATED_USAGE_COLUMNS = (
    "PartnerId",
    "PartnerName",
    "CustomerId",
    "CustomerName",
    "CustomerDomainName",
    "CustomerCountry",
    "MpnId",
    "Tier2MpnId",
    "InvoiceNumber",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "SkuName",
    "ProductName",
    "PublisherName",
    "PublisherId",
    "SubscriptionDescription",
    "SubscriptionId",
    "ChargeStartDate",
    "ChargeEndDate",
    "UsageDate",
    "MeterType",
    "MeterCategory",
    "MeterId",
    "MeterSubCategory",
    "MeterName",
    "MeterRegion",
    "Unit",
    "ResourceLocation",
    "ConsumedService",
    "ResourceGroup",
    "ResourceURI",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "UnitType",
    "BillingPreTaxTotal",
    "BillingCurrency",
    "PricingPreTaxTotal",
    "PricingCurrency",
    "ServiceInfo1",
    "ServiceInfo2",
    "Tags",
    "AdditionalInfo",
    "EffectiveUnitPrice",
    "PCToBCExchangeRate",
    "PCToBCExchangeRateDate",
    "EntitlementId",
    "EntitlementDescription",
    "PartnerEarnedCreditPercentage",
    "CreditPercentage",
    "CreditType",
)

# The one-time / new commerce file (global), in its order.
ONETIME_COLUMNS_GLOBAL = (
    "PartnerId",
    "CustomerId",
    "CustomerName",
    "CustomerDomainName",
    "CustomerCountry",
    "InvoiceNumber",
    "MpnId",
    "ResellerMpnId",
    "OrderId",
    "OrderDate",
    "ProductId",
    "SkuId",
    "AvailabilityId",
    "SkuName",
    "ProductName",
    "ChargeType",
    "UnitPrice",
    "Quantity",
    "Subtotal",
    "TaxTotal",
    "Total",
    "Currency",
    "PriceAdjustmentDescription",
    "PublisherName",
    "PublisherId",
    "SubscriptionDescription",
    "SubscriptionId",
    "ChargeStartDate",
    "ChargeEndDate",
    "TermAndBillingCycle",
    "EffectiveUnitPrice",
    "UnitType",
    "AlternateId",
    "BillableQuantity",
    "BillingFrequency",
    "PricingCurrency",
    "PCToBCExchangeRate",
    "PCToBCExchangeRateDate",
    "MeterDescription",
    "ReservationOrderId",
    "CreditReasonCode",
    "SubscriptionStartDate",
    "SubscriptionEndDate",
    "ReferenceId",
    "ProductQualifiers",
    "PromotionId",
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
        "customer_number": None,
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
        "customer_number": None,
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
        "customer_number": None,
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

# The 21Vianet 2016 license edition: the customer is a number staff map to a customer
# (`CustomerNumberMapping`), never a tenant id.
LICENSE_2016 = Format(
    kind=LineKind.LICENSE,
    fields={**LICENSE.fields, "customer_tenant_id": None, "customer_number": "CustomerNumber"},
    required=("CustomerNumber", *LICENSE.required[1:]),
    signature=("CustomerNumber", "SyndicationPartnerSubscriptionNumber"),
)

# Most specific first: the 2016 edition also has SyndicationPartnerSubscriptionNumber.
FORMATS = (LICENSE_2016, LICENSE, USAGE, ONETIME)

# Every canonical name we know, keyed by header_key.
KNOWN: dict[str, str] = {}
for _fmt in FORMATS:
    for _col in [*_fmt.fields.values(), *_fmt.required, *_fmt.signature, "InvoiceNumber"]:
        if _col:
            KNOWN.setdefault(header_key(_col), _col)


def canonical(name: str) -> str | None:
    key = header_key(name)
    return ALIASES.get(key) or KNOWN.get(key)


@dataclass(frozen=True)
class NotImported:
    """A file partners download that is not a reconciliation file we import: what to say."""

    name: str
    # headers (canonical or as written, compared by header_key) that identify it, all present
    signature: tuple[str, ...]
    message: str


NOT_IMPORTED = (
    NotImported(
        name="daily-rated usage",
        signature=("MeterId", "UsageDate", "BillingPreTaxTotal"),
        message="this is a daily-rated usage file (new commerce, one line per meter and day): "
        "daily-rated usage files are not imported, their charges are billed from the invoice's "
        "reconciliation file. Upload the invoice's one-time / new commerce reconciliation file "
        "(Billing → Invoice → Download the reconciliation file) instead",
    ),
)

# Every edition we know, by name, for "the closest known edition" of a header we do not know.
EDITIONS: dict[str, tuple[str, ...]] = {
    "license-based (global)": LICENSE_COLUMNS_GLOBAL,
    "license-based (21Vianet 2018)": LICENSE_COLUMNS_VIANET_2018,
    "license-based (21Vianet 2016)": LICENSE_COLUMNS_VIANET_2016,
    "usage-based (global)": USAGE_COLUMNS_GLOBAL,
    "usage-based (21Vianet 2018)": USAGE_COLUMNS_VIANET_2018,
    "usage-based (21Vianet 2016)": USAGE_COLUMNS_VIANET_2016,
    "one-time / new commerce (global)": ONETIME_COLUMNS_GLOBAL,
    "daily-rated usage (global, not imported)": DAILY_RATED_USAGE_COLUMNS,
}


def _keys(names) -> set[str]:
    return {header_key(canonical(name) or name) for name in names}


def not_imported(names: list[str]) -> NotImported | None:
    """The known file type these headers (as written) are, if it is one we do not import."""
    keys = _keys(names)
    for kind in NOT_IMPORTED:
        if _keys(kind.signature) <= keys:
            return kind
    return None


def closest_edition(names: list[str]) -> tuple[str, list[str]]:
    """The known edition sharing the most columns with these headers, and its missing columns."""
    keys = _keys(names)

    def shared(item: tuple[str, tuple[str, ...]]) -> tuple[float, int]:
        columns = _keys(item[1])
        return (len(columns & keys) / len(columns | keys), -len(columns))

    name, columns = max(EDITIONS.items(), key=shared)
    return name, [col for col in columns if header_key(canonical(col) or col) not in keys]


def unrecognised_header(names: list[str]) -> str:
    """Why a header is not a file we import: what it is, or the closest edition and what it
    misses."""
    kind = not_imported(names)
    if kind is not None:
        return f"row 1: {kind.message}"
    edition, missing = closest_edition(names)
    shown = ", ".join(missing[:12]) + (
        f" and {len(missing) - 12} more" if len(missing) > 12 else ""
    )
    return (
        "row 1: not a reconciliation file this program knows; the closest is the "
        f"{edition} file, which also has {shown}"
    )


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
    "customer_number",
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


def format_of(kind: str, canonical_names: list[str | None] | None = None) -> Format:
    """The format of lines of this kind (with the header's names: of that edition)."""
    if canonical_names is not None:
        fmt = detect_format({name for name in canonical_names if name})
        if fmt is not None and fmt.kind == kind:
            return fmt
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
