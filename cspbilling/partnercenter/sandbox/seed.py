"""Deterministic seed data: customers, subscriptions, service requests (invoices: ledger.py)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cspbilling.partnercenter.sandbox import catalog, ledger

PARTNER_ID = "8f6c2b1e-3d4a-4f5b-9c8d-7e6f5a4b3c2d"
PARTNER_MPN_ID = 4847383  # a number, as the documents type MpnId
DOMAIN_SUFFIX = "partner.onmschina.cn"
_ENTITLEMENTS = uuid.UUID("0b7d3f52-6a1e-4c9b-8d2f-5e4a3c2b1a09")


def iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{value.isoformat()}T00:00:00Z"


def new_guid(rng: random.Random) -> str:
    """A version-4 GUID from the seeded generator (formatted by hand: uuid.UUID is slow)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


@dataclass
class World:
    """Everything the sandbox serves; mutated only under SandboxState's lock."""

    seed: int
    anchor: date
    rng: random.Random
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    line_ctx: dict[str, dict[str, Any]] = field(default_factory=dict)  # per subscription id
    invoices: list[dict[str, Any]] = field(default_factory=list)
    invoice_lines: dict[str, dict[str, list]] = field(default_factory=dict)
    pending_lines: list[tuple] = field(default_factory=list)
    service_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    sr_customer: dict[str, str] = field(default_factory=dict)
    used_domains: set[str] = field(default_factory=set)
    usage_customers: set[str] = field(default_factory=set)
    domain_counters: dict[str, int] = field(default_factory=dict)
    etag_counter: int = 0

    def next_etag(self) -> str:
        self.etag_counter += 1
        return f"{self.etag_counter:08x}{self.rng.getrandbits(32):08x}"


def _company(rng: random.Random, culture: str) -> tuple[str, str]:
    if culture == "zh-CN":
        city = rng.choice(catalog.CITIES)
        core, slug = rng.choice(catalog.CN_CORES)
        return f"{city[0]}{core}{rng.choice(catalog.CN_TRADES)}有限公司", slug
    if culture == "fr-FR":
        core = rng.choice(catalog.FR_CORES)
        name = f"{core} {rng.choice(catalog.FR_TRADES)} (Shanghai) Co., Ltd."
        slug = core.lower().replace(" ", "").replace("è", "e").replace("é", "e").replace("É", "e")
        return name, slug
    core = rng.choice(catalog.EN_CORES)
    city = rng.choice(catalog.CITIES)[1]
    return f"{core} {rng.choice(catalog.EN_TRADES)} ({city}) Co., Ltd.", core.lower().replace(
        " ", ""
    )


def _domain(world: World, slug: str) -> str:
    candidate, n = slug, world.domain_counters.get(slug, 1)
    while f"{candidate}.{DOMAIN_SUFFIX}" in world.used_domains:
        n += 1
        candidate = f"{slug}{n}"
    world.domain_counters[slug] = n
    domain = f"{candidate}.{DOMAIN_SUFFIX}"
    world.used_domains.add(domain)
    return domain


def make_customer(
    world: World,
    *,
    company_name: str | None = None,
    domain: str | None = None,
    culture: str | None = None,
) -> dict[str, Any]:
    rng = world.rng
    roll = rng.random()
    culture = culture or ("zh-CN" if roll < 0.7 else "en-US" if roll < 0.9 else "fr-FR")
    name, slug = _company(rng, culture)
    name = company_name or name
    domain = domain or _domain(world, slug)
    world.used_domains.add(domain)
    city = rng.choice(catalog.CITIES)
    tenant = new_guid(rng)
    if culture == "zh-CN":
        sur, given = rng.choice(catalog.CN_SURNAMES), rng.choice(catalog.CN_GIVEN)
        first, last, email_user = given[0], sur[0], f"{given[1]}.{sur[1].lower()}"
        language, city_name = "zh-Hans", city[0]
    else:
        first, last = rng.choice(catalog.EN_FIRST), rng.choice(catalog.EN_LAST)
        email_user = f"{first}.{last}".lower()
        language, city_name = culture[:2], city[1]
    address = {
        "country": "CN",
        "region": None,
        "city": city_name,
        "state": city[2],
        "addressLine1": city[4].format(n=rng.randint(1, 999)),
        "postalCode": city[3],
        "firstName": first,
        "lastName": last,
        "phoneNumber": f"+86 {rng.randint(10, 29)} {rng.randint(10000000, 89999999)}",
    }
    customer = {
        "id": tenant,
        "commerceId": new_guid(rng),
        "companyProfile": {
            "tenantId": tenant,
            "domain": domain,
            "companyName": name,
            "organizationRegistrationNumber": f"91{rng.randint(10**15, 10**16 - 1)}",
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "billingProfile": {
            "id": new_guid(rng),
            "firstName": first,
            "lastName": last,
            "email": f"{email_user}@{domain}",
            "culture": culture,
            "language": language,
            "companyName": name,
            "defaultAddress": address,
            "attributes": {"objectType": "CustomerBillingProfile"},
        },
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": True,
        "links": {"self": {"uri": f"/customers/{tenant}", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Customer"},
    }
    world.customers[tenant] = customer
    world.subscriptions[tenant] = {}
    return customer


def make_subscription(
    world: World,
    customer: dict[str, Any],
    offer: catalog.Offer,
    *,
    created: date,
    parent: dict[str, Any] | None = None,
    status: str = "active",
    annual: bool = False,
) -> dict[str, Any]:
    rng = world.rng
    sid = new_guid(rng)
    quantity = rng.choice((5, 10, 25, 50, 100)) if offer.unit_type == "GB" else rng.randint(1, 60)
    years = max(1, (world.anchor - created).days // 365 + 1)
    commitment_end = ledger.add_years(created, years) - timedelta(days=1)
    sub = {
        "id": sid,
        "offerId": offer.offer_id,
        "offerName": offer.name,
        "friendlyName": offer.name,
        "quantity": quantity,
        "unitType": offer.unit_type,
        "hasPurchasableAddons": not offer.addon_of,
        "creationDate": iso(created),
        "effectiveStartDate": iso(created),
        "commitmentEndDate": iso(commitment_end),
        "status": status,
        "suspensionReasons": ["PartnerInitiated"] if status == "suspended" else [],
        "autoRenewEnabled": True,
        "billingType": "license",
        "billingCycle": "annual" if annual else "monthly",
        "termDuration": "P1Y",
        "isTrial": False,
        "contractType": "subscription",
        "orderId": rng.getrandbits(120).to_bytes(15).hex()[:32],
        # Derived from the id, not drawn from rng, so every seed keeps its earlier data.
        "entitlementId": str(uuid.uuid5(_ENTITLEMENTS, sid)),
        "partnerId": "",  # the indirect reseller's MPN id; none: the partner bills directly
        "actions": subscription_actions(status),
        "refundOptions": [],  # legacy license-based: credits come prorated on the invoice
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft Corporation",
        "renewalTermDuration": "P1Y",
        "links": {
            "offer": {"uri": f"/offers/{offer.offer_id}", "method": "GET", "headers": []},
            "self": {
                "uri": f"/customers/{customer['id']}/subscriptions/{sid}",
                "method": "GET",
                "headers": [],
            },
        },
        "attributes": {"etag": world.next_etag(), "objectType": "Subscription"},
    }
    if parent is not None:
        sub["parentSubscriptionId"] = parent["id"]
    world.subscriptions[customer["id"]][sid] = sub
    world.line_ctx[sid] = ledger.line_context(world, customer, sub, offer)
    return sub


def subscription_actions(status: str) -> list[str]:
    """What the partner may do next with a subscription in this status."""
    return {"active": ["Suspend"], "suspended": ["Reactivate"]}.get(status, [])


def seed_customer_subscriptions(
    world: World, customer: dict[str, Any], count: int, *, created_on: date | None = None
) -> None:
    """1–6 subscriptions, some add-ons, a few suspended or deleted (unless ``created_on``:
    then all active and bought that day, as when the 21Vianet side adds a customer)."""
    rng = world.rng
    bases: list[dict[str, Any]] = []
    for _ in range(count):
        hosts = [b for b in bases if b["offerName"] in catalog.ADDON_OFFERS[0].addon_of]
        parent = rng.choice(hosts) if hosts and rng.random() < 0.3 else None
        offer = (
            rng.choice([o for o in catalog.ADDON_OFFERS if parent["offerName"] in o.addon_of])
            if parent is not None
            else rng.choice(catalog.BASE_OFFERS)
        )
        created = world.anchor - timedelta(days=rng.randint(20, 1000))
        if parent is not None:
            created = max(created, date.fromisoformat(parent["creationDate"][:10]))
        roll = rng.random()
        status = "suspended" if roll < 0.04 else "deleted" if roll < 0.07 else "active"
        if created_on is not None:
            created, status = created_on, "active"
        if parent is not None and parent["status"] != "active":
            status = parent["status"]
        sub = make_subscription(
            world,
            customer,
            offer,
            created=created,
            parent=parent,
            status=status,
            annual=rng.random() < 0.3,
        )
        if parent is None:
            bases.append(sub)


def seed_service_requests(world: World, count: int) -> None:
    rng = world.rng
    customer_ids = list(world.customers)
    for _ in range(count):
        cid = rng.choice(customer_ids)
        customer = world.customers[cid]
        zh, en = rng.choice(catalog.SR_TITLES)
        chinese = customer["billingProfile"]["culture"] == "zh-CN"
        topic = rng.choice(catalog.SUPPORT_TOPICS)
        created = datetime.combine(world.anchor, datetime.min.time(), UTC) - timedelta(
            hours=rng.randint(2, 24 * 60)
        )
        add_service_request(
            world,
            cid,
            title=zh if chinese else en,
            description=f"{customer['companyProfile']['companyName']}: " + (zh if chinese else en),
            severity=rng.choice(("minimal", "moderate", "critical")),
            topic=topic,
            created=created,
            status=rng.choice(("open", "open", "attention_needed", "closed")),
        )


def add_service_request(
    world: World,
    customer_id: str | None,
    *,
    title: str,
    description: str,
    severity: str,
    topic: dict[str, str],
    created: datetime,
    status: str = "open",
) -> dict[str, Any]:
    rng = world.rng
    sr_id = str(rng.randint(10**14, 10**15 - 1))
    profile = (
        world.customers[customer_id]["billingProfile"]
        if customer_id
        else {
            "firstName": "Sandbox",
            "lastName": "Partner",
            "email": "support@sandbox-partner.example",
            "defaultAddress": {"phoneNumber": "+86 10 5555 0100"},
        }
    )
    closed = created + timedelta(days=2) if status == "closed" else None
    sr = {
        "id": sr_id,
        "title": title,
        "description": description,
        "severity": severity,
        "supportTopicId": topic["id"],
        "supportTopicName": topic["name"],
        "status": status,
        "organization": {
            "id": PARTNER_ID,
            "name": "Sandbox CSP Partner",
            "phoneNumber": "+86 10 5555 0100",
        },
        "primaryContact": {
            "contactId": new_guid(rng),
            "firstName": profile["firstName"],
            "lastName": profile["lastName"],
            "email": profile["email"],
            "phoneNumber": profile["defaultAddress"]["phoneNumber"],
        },
        "productName": "Office 365",
        "productId": "15960",
        "createdDate": iso(created),
        "lastModifiedDate": iso(closed or created),
        "lastClosedDate": iso(closed) if closed else "0001-01-01T00:00:00",
        "notes": [],
        "countryCode": "CN",
        "attributes": {"objectType": "ServiceRequest"},
    }
    world.service_requests[sr_id] = sr
    if customer_id:
        world.sr_customer[sr_id] = customer_id
    return sr


def build_world(*, customers: int = 50, seed: int = 1, anchor: date | None = None) -> World:
    """A deterministic world: same seed and size, same data (dates relative to ``anchor``)."""
    anchor = anchor or datetime.now(UTC).date().replace(day=1)
    world = World(seed=seed, anchor=anchor, rng=random.Random(seed))
    for _ in range(customers):
        customer = make_customer(world)
        seed_customer_subscriptions(world, customer, world.rng.randint(1, 6))
    if customers:
        seed_service_requests(world, max(3, min(40, customers // 5)))
    ledger.seed_invoices(world, months=3)
    return world
