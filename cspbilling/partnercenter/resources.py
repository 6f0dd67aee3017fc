"""Partner Center resources as typed, lenient pydantic models (see partner-center.md §3–§5).

Python names are snake_case; the API's camelCase names are the aliases. Every model keeps the
fields it does not declare (``model_extra``) and the dict as received (``.raw``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from cspbilling.core.identifiers import invoice_number_problem
from cspbilling.partnercenter.modelbase import (
    Amount,
    Currency,
    OptionalAmount,
    PCDate,
    PCDateTime,
    PCEnum,
    PCModel,
)

# --- enums (declared in the SDK's order, so old integer answers map by position) -----------


class RelationshipToPartner(PCEnum):
    NONE = "none"
    RESELLER = "reseller"
    ADVISOR = "advisor"
    SYNDICATION = "syndication"
    MICROSOFT_SUPPORT = "microsoft_support"


class SubscriptionStatus(PCEnum):
    NONE = "none"
    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    EXPIRED = "expired"
    DISABLED = "disabled"


class BillingType(PCEnum):
    NONE = "none"
    USAGE = "usage"
    LICENSE = "license"


class BillingCycle(PCEnum):
    UNKNOWN = "unknown"
    MONTHLY = "monthly"
    ANNUAL = "annual"
    NONE = "none"
    ONE_TIME = "one_time"
    BIENNIAL = "biennial"
    TRIENNIAL = "triennial"


class ServiceRequestSeverity(PCEnum):
    UNKNOWN = "unknown"
    CRITICAL = "critical"
    MODERATE = "moderate"
    MINIMAL = "minimal"


class ServiceRequestStatus(PCEnum):
    NONE = "none"
    OPEN = "open"
    CLOSED = "closed"
    ATTENTION_NEEDED = "attention_needed"


class InvoiceType(PCEnum):
    RECURRING = "recurring"
    ONE_TIME = "one_time"


class BillingProvider(PCEnum):
    NONE = "none"
    OFFICE = "office"
    AZURE = "azure"
    ONE_TIME = "one_time"
    MARKETPLACE = "marketplace"
    ALL = "all"


class InvoiceLineItemType(PCEnum):
    NONE = "none"
    USAGE_LINE_ITEMS = "usage_line_items"
    BILLING_LINE_ITEMS = "billing_line_items"


# --- shared pieces ---------------------------------------------------------------------------


class ResourceAttributes(PCModel):
    etag: str | None = None
    object_type: str | None = None


# --- customers -------------------------------------------------------------------------------


class Address(PCModel):
    country: str | None = None
    region: str | None = None
    city: str | None = None
    state: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


class CompanyProfile(PCModel):
    tenant_id: str | None = None
    domain: str | None = None
    company_name: str
    organization_registration_number: str | None = None


class BillingProfile(PCModel):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None


class Customer(PCModel):
    id: str
    commerce_id: str | None = None
    company_profile: CompanyProfile
    billing_profile: BillingProfile | None = None
    relationship_to_partner: RelationshipToPartner | None = None
    allow_delegated_access: bool | None = None
    associated_partner_id: str | None = None
    links: dict[str, Any] | None = None
    attributes: ResourceAttributes | None = None


# --- subscriptions ---------------------------------------------------------------------------


class Subscription(PCModel):
    id: str
    offer_id: str | None = None
    offer_name: str | None = None
    friendly_name: str | None = None
    quantity: int = 0
    unit_type: str | None = None
    parent_subscription_id: str | None = None
    creation_date: PCDateTime = None
    effective_start_date: PCDateTime = None
    commitment_end_date: PCDateTime = None
    status: SubscriptionStatus
    # Values are undocumented: kept as opaque strings.
    suspension_reasons: list[str] = Field(default_factory=list)
    auto_renew_enabled: bool | None = None
    billing_type: BillingType | None = None
    billing_cycle: BillingCycle | None = None
    term_duration: str | None = None
    is_trial: bool | None = None
    order_id: str | None = None
    partner_id: str | None = None
    contract_type: str | None = None
    actions: list[Any] | None = None
    links: dict[str, Any] | None = None
    attributes: ResourceAttributes | None = None

    @property
    def etag(self) -> str | None:
        return self.attributes.etag if self.attributes else None


# --- service requests ------------------------------------------------------------------------


class SupportTopic(PCModel):
    id: str
    name: str | None = None
    description: str | None = None


class ServiceRequestNote(PCModel):
    created_by_name: str | None = None
    created_date: PCDateTime = None
    text: str = ""


class ServiceRequestOrganization(PCModel):
    id: str | None = None
    name: str | None = None
    phone_number: str | None = None


class ServiceRequestContact(PCModel):
    contact_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None


class ServiceRequest(PCModel):
    id: str
    title: str | None = None
    description: str | None = None
    severity: ServiceRequestSeverity | None = None
    support_topic_id: str | None = None
    support_topic_name: str | None = None
    status: ServiceRequestStatus
    organization: ServiceRequestOrganization | None = None
    primary_contact: ServiceRequestContact | None = None
    product_name: str | None = None
    product_id: str | None = None
    created_date: PCDateTime = None
    last_modified_date: PCDateTime = None
    last_closed_date: PCDateTime = None
    notes: list[ServiceRequestNote] = Field(default_factory=list)
    country_code: str | None = None


# --- invoices --------------------------------------------------------------------------------


class InvoiceDetail(PCModel):
    invoice_line_item_type: InvoiceLineItemType
    billing_provider: BillingProvider
    links: dict[str, Any] | None = None


def _invoice_number(value: str) -> str:
    problem = invoice_number_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# 21Vianet's invoice numbers end up in our URLs and indexed columns: refuse what cannot.
InvoiceNumber = Annotated[str, AfterValidator(_invoice_number)]


class Invoice(PCModel):
    id: InvoiceNumber
    invoice_date: PCDateTime = None
    billing_period_start_date: PCDateTime = None
    billing_period_end_date: PCDateTime = None
    total_charges: Amount
    paid_amount: OptionalAmount = None
    currency_code: Currency
    currency_symbol: str | None = None
    pdf_download_link: str | None = None
    invoice_type: InvoiceType | None = None
    # "invoice", "void_note", "adjustment_note", "Credit Note", ...: a string on purpose.
    document_type: str | None = None
    amends_of: str | None = None
    amendments: list[Invoice] = Field(default_factory=list)
    invoice_details: list[InvoiceDetail] = Field(default_factory=list)


class InvoiceSummary(PCModel):
    balance_amount: Amount
    currency_code: Currency
    last_payment_date: PCDateTime = None
    last_payment_amount: OptionalAmount = None
    latest_invoice_date: PCDateTime = None


# --- invoice line items ----------------------------------------------------------------------


class InvoiceLineItem(PCModel):
    """Any line item; ``.raw`` holds every source column as sent."""

    invoice_line_item_type: InvoiceLineItemType | None = None
    billing_provider: BillingProvider | None = None


class LicenseLineItem(InvoiceLineItem):
    """(office, billing_line_items): a license-based reconciliation line."""

    partner_id: str | None = None
    customer_id: str
    customer_name: str | None = None
    mpn_id: str | None = None
    tier2_mpn_id: str | None = None
    reseller_mpn_id: str | None = None
    order_id: str | None = None
    # A billing-platform id such as usCBMgAAAAAAAAIA, not the Partner Center subscription id.
    subscription_id: str | None = None
    # This is the Partner Center subscription id.
    syndication_partner_subscription_number: str | None = None
    offer_id: str | None = None
    durable_offer_id: str | None = None
    offer_name: str | None = None
    domain_name: str | None = None
    billing_cycle_type: str | None = None
    subscription_name: str | None = None
    subscription_description: str | None = None
    subscription_start_date: PCDate = None
    subscription_end_date: PCDate = None
    charge_start_date: PCDate = None
    charge_end_date: PCDate = None
    charge_type: str
    unit_price: OptionalAmount = None
    quantity: int | None = None
    amount: Amount
    total_other_discount: OptionalAmount = None
    subtotal: OptionalAmount = None
    tax: OptionalAmount = None
    total_for_customer: OptionalAmount = None
    currency: Currency
    invoice_number: str | None = None


class UsageLineItem(InvoiceLineItem):
    """(azure, billing_line_items): a usage-based (legacy Azure) reconciliation line."""

    partner_id: str | None = None
    partner_name: str | None = None
    partner_billable_account_id: str | None = None
    customer_company_name: str | None = None
    customer_name: str | None = None
    mpn_id: str | None = None
    tier2_mpn_id: str | None = None
    reseller_mpn_id: str | None = None
    invoice_number: str | None = None
    charge_start_date: PCDate = None
    charge_end_date: PCDate = None
    subscription_id: str | None = None
    subscription_name: str | None = None
    subscription_description: str | None = None
    order_id: str | None = None
    service_name: str | None = None
    service_type: str | None = None
    resource_guid: str | None = None
    resource_name: str | None = None
    region: str | None = None
    sku: str | None = None
    detail_line_item_id: str | None = None
    consumed_quantity: OptionalAmount = None
    included_quantity: OptionalAmount = None
    overage_quantity: OptionalAmount = None
    list_price: OptionalAmount = None
    pretax_charges: Amount
    tax_amount: OptionalAmount = None
    post_tax_total: OptionalAmount = None
    currency: Currency
    pretax_effective_rate: OptionalAmount = None
    post_tax_effective_rate: OptionalAmount = None
    charge_type: str | None = None
    customer_id: str | None = None
    domain_name: str | None = None
    billing_cycle_type: str | None = None
    unit: str | None = None
    customer_billable_account: str | None = None


def line_item_model(provider: str, line_item_type: str) -> type[InvoiceLineItem]:
    """The model for a (provider, type) pair; shapes we do not type yet come as InvoiceLineItem."""
    pair = (BillingProvider(provider), InvoiceLineItemType(line_item_type))
    if pair == (BillingProvider.OFFICE, InvoiceLineItemType.BILLING_LINE_ITEMS):
        return LicenseLineItem
    if pair == (BillingProvider.AZURE, InvoiceLineItemType.BILLING_LINE_ITEMS):
        return UsageLineItem
    return InvoiceLineItem
