"""The sandbox's 21Vianet invoices and their reconciliation lines (CNY, exact Decimal sums).

A license line is kept compact, ``(context, charge_type, start, end, unit_price, quantity,
amount, discount)``, and rendered to the API's JSON only when a page asks for it, so 10,000
customers seed in a few seconds. ``totalCharges`` of an invoice is the exact sum of its lines'
``totalForCustomer`` (license) and ``postTaxTotal`` (usage).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from cspbilling.partnercenter.sandbox import catalog

if TYPE_CHECKING:
    from cspbilling.partnercenter.sandbox.seed import World

CENT = Decimal("0.01")
VAT = Decimal("0.06")
ZERO = Decimal("0.00")
_PATH_TYPES = {"billing_line_items": "BillingLineItems", "usage_line_items": "UsageLineItems"}
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _iso(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def line_context(world: World, customer: dict, sub: dict, offer: catalog.Offer) -> dict[str, Any]:
    rng = world.rng
    billing_id = f"usCB{len(world.line_ctx) + 1:06X}AAAAAAAAIA"
    return {
        "partnerId": "8f6c2b1e-3d4a-4f5b-9c8d-7e6f5a4b3c2d",
        "customerId": customer["id"],
        "customerName": customer["companyProfile"]["companyName"],
        "mpnId": 4847383,  # numbers, as documented; tier2MpnId only for indirect resellers
        "orderId": sub["orderId"],
        "subscriptionId": billing_id,
        "syndicationPartnerSubscriptionNumber": sub["id"],
        "offerId": offer.offer_id,
        "durableOfferId": offer.durable_offer_id,
        "offerName": offer.name,
        "domainName": customer["companyProfile"]["domain"],
        "billingCycleType": "Annual" if sub["billingCycle"] == "annual" else "Monthly",
        "subscriptionName": sub["friendlyName"],
        "subscriptionDescription": offer.name,
        "subscriptionStartDate": sub["creationDate"],
        "subscriptionEndDate": sub["commitmentEndDate"],
        "_price": offer.monthly_price,
        "_discount": Decimal("0.05") if rng.random() < 0.1 else ZERO,
        "_created": date.fromisoformat(sub["creationDate"][:10]),
    }


def license_figures(amount: Decimal, discount: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    subtotal = amount - discount
    tax = cents(subtotal * VAT)
    return subtotal, tax, subtotal + tax


def render_license(line: tuple, invoice_id: str) -> dict[str, Any]:
    ctx, charge_type, start, end, unit_price, quantity, amount, discount = line
    subtotal, tax, total = license_figures(amount, discount)
    item = {k: v for k, v in ctx.items() if not k.startswith("_")}
    item.update(
        chargeStartDate=_iso(start),
        chargeEndDate=_iso(end),
        chargeType=charge_type,
        unitPrice=unit_price,
        quantity=quantity,
        amount=amount,
        totalOtherDiscount=discount,
        subtotal=subtotal,
        tax=tax,
        totalForCustomer=total,
        currency="CNY",
        invoiceNumber=invoice_id,
        invoiceLineItemType="billing_line_items",
        billingProvider="office",
        attributes={"objectType": "LicenseBasedLineItem"},
    )
    return item


def _period_lines(ctx: dict, sub: dict, start: date, end: date, *, last: bool, rng) -> list:
    created, price, qty = ctx["_created"], ctx["_price"], sub["quantity"]
    days = (end - start).days + 1
    lines: list[tuple] = []

    def add(charge_type: str, s: date, e: date, unit: Decimal, amount: Decimal) -> None:
        discount = cents(amount * ctx["_discount"]) if amount > 0 else ZERO
        lines.append((ctx, charge_type, s, e, unit, qty, amount, discount))

    if created > end:
        return lines
    if sub["status"] == "deleted" and last:
        refund = cents(price * qty * rng.randint(1, 15) / days)
        add("Prorate fees when cancel", start, end, price, -refund)
        return lines
    if created >= start:
        add(
            "Prorate fees when purchase",
            created,
            end,
            price,
            cents(price * qty * ((end - created).days + 1) / days),
        )
    elif sub["billingCycle"] == "annual":
        if created.month == start.month:
            anniversary = add_years(created, start.year - created.year)
            year_end = add_years(anniversary, 1) - timedelta(days=1)
            add("Cycle fee", anniversary, year_end, price * 12, price * 12 * qty)
    else:
        add("Cycle fee", start, end, price, price * qty)
    if sub["status"] == "suspended" and last:
        add("Cancel fee", start, end, price, -cents(price * qty * rng.randint(1, 20) / days))
    return lines


def _usage_lines(world: World, customer: dict, start: date, end: date, inv_id: str) -> list:
    rng = world.rng
    service, sku, region, unit, price = rng.choice(catalog.AZURE_SERVICES)
    consumed = Decimal(rng.randint(50, 800))
    pretax = cents(price * consumed)
    tax = cents(pretax * VAT)
    return [
        {
            "partnerId": "8f6c2b1e-3d4a-4f5b-9c8d-7e6f5a4b3c2d",
            "partnerName": "Sandbox CSP Partner",
            "partnerBillableAccountId": "1234567890123",
            "customerCompanyName": customer["companyProfile"]["companyName"],
            "mpnId": 4847383,
            "invoiceNumber": inv_id,
            "chargeStartDate": _iso(start),
            "chargeEndDate": _iso(end),
            "subscriptionId": "az" + customer["id"][:8],
            "subscriptionName": "Microsoft Azure (legacy)",
            "subscriptionDescription": "Microsoft Azure operated by 21Vianet",
            "orderId": customer["commerceId"].replace("-", "")[:24],
            "serviceName": service,
            "serviceType": sku,
            "resourceGuid": customer["commerceId"],
            "resourceName": sku,
            "region": region,
            "sku": sku,
            "detailLineItemId": 1,
            "consumedQuantity": consumed,
            "includedQuantity": Decimal(0),
            "overageQuantity": consumed,
            "listPrice": price,
            "pretaxCharges": pretax,
            "taxAmount": tax,
            "postTaxTotal": pretax + tax,
            "currency": "CNY",
            "pretaxEffectiveRate": price,
            "postTaxEffectiveRate": cents(price * (1 + VAT)),
            "chargeType": "Assess usage fee for current cycle",
            "customerId": customer["id"],
            "domainName": customer["companyProfile"]["domain"],
            "billingCycleType": "Monthly",
            "unit": unit,
            "customerBillableAccount": customer["commerceId"],
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "azure",
            "attributes": {"objectType": "UsageBasedLineItem"},
        }
    ]


def _new_invoice_id(world: World) -> str:
    existing = {inv["id"] for inv in world.invoices}
    while True:
        candidate = "D0" + "".join(world.rng.choice(_ALNUM) for _ in range(8))
        if candidate not in existing:
            return candidate


def issue_invoice(world: World, start: date, *, last: bool = True, paid: bool = False) -> dict:
    """Bill the month starting ``start`` from current subscriptions plus queued credits."""
    end = month_end(start)
    inv_id = _new_invoice_id(world)
    office: list[tuple] = []
    azure: list[dict] = []
    usage_customers = world.usage_customers
    for cid, subs in world.subscriptions.items():
        for sid, sub in subs.items():
            office.extend(
                _period_lines(world.line_ctx[sid], sub, start, end, last=last, rng=world.rng)
            )
        if cid in usage_customers:
            azure.extend(_usage_lines(world, world.customers[cid], start, end, inv_id))
    office.extend(world.pending_lines)
    world.pending_lines = []
    total = sum((license_figures(line[6], line[7])[2] for line in office), ZERO)
    total += sum((u["postTaxTotal"] for u in azure), ZERO)
    details = [("billing_line_items", "office", "OFFICE")]
    if azure:  # usage lines (daily and daily-rated) are made from these: see usage.py
        details.append(("billing_line_items", "azure", "AZURE"))
        details.append(("usage_line_items", "azure", "AZURE"))
        details.append(("usage_line_items", "marketplace", "MARKETPLACE"))
    invoice = {
        "id": inv_id,
        "invoiceDate": _iso(end + timedelta(days=1)),
        "billingPeriodStartDate": _iso(start),
        "billingPeriodEndDate": _iso(end),
        "totalCharges": total,
        "paidAmount": -total if paid else ZERO,
        "currencyCode": "CNY",
        "currencySymbol": "¥",
        "pdfDownloadLink": None,
        "invoiceType": "recurring",
        "documentType": "invoice",
        "amendsOf": None,
        "amendments": [],
        "invoiceDetails": [
            {
                "invoiceLineItemType": kind,
                "billingProvider": provider,
                "links": {
                    "self": {
                        "uri": f"/invoices/{inv_id}/lineitems/{up}/{_PATH_TYPES[kind]}",
                        "method": "GET",
                        "headers": [],
                    }
                },
                "attributes": {"objectType": "InvoiceDetail"},
            }
            for kind, provider, up in details
        ],
        "links": {"self": {"uri": f"/invoices/{inv_id}", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Invoice"},
    }
    world.invoices.append(invoice)
    world.invoice_lines[inv_id] = {"office": office, "azure": azure}
    return invoice


def queue_credit(
    world: World,
    customer_id: str,
    subscription_id: str,
    amount: Decimal,
    charge_type: str = "Cancel instance prorate",
) -> tuple:
    """A credit (negative amount) that lands on the next invoice issued."""
    ctx = world.line_ctx[subscription_id]
    if ctx["customerId"] != customer_id:
        raise KeyError(subscription_id)
    start = next_period_start(world)
    line = (
        ctx,
        charge_type,
        start,
        month_end(start),
        -abs(cents(amount)),
        1,
        -abs(cents(amount)),
        ZERO,
    )
    world.pending_lines.append(line)
    return line


def next_period_start(world: World) -> date:
    if not world.invoices:
        return add_months(world.anchor, -1)
    last_start = date.fromisoformat(world.invoices[-1]["billingPeriodStartDate"][:10])
    return add_months(last_start, 1)


def seed_invoices(world: World, months: int = 3) -> None:
    customers = list(world.customers)
    world.usage_customers = {c for c in customers if world.rng.random() < 0.03}
    for i in range(months, 0, -1):
        issue_invoice(world, add_months(world.anchor, -i), last=(i == 1), paid=(i > 1))


def summary(world: World) -> dict[str, Any]:
    balance = sum((inv["totalCharges"] + inv["paidAmount"] for inv in world.invoices), ZERO)
    paid = [inv for inv in world.invoices if inv["paidAmount"]]
    last_paid = paid[-1] if paid else None
    return {
        "balanceAmount": balance,
        "currencyCode": "CNY",
        "currencySymbol": "¥",
        "accountingDate": world.invoices[-1]["invoiceDate"] if world.invoices else None,
        "firstInvoiceCreationDate": world.invoices[0]["invoiceDate"] if world.invoices else None,
        "lastPaymentDate": (
            _iso(date.fromisoformat(last_paid["invoiceDate"][:10]) + timedelta(days=20))
            if last_paid
            else None
        ),
        "lastPaymentAmount": -last_paid["paidAmount"] if last_paid else None,
        "latestInvoiceDate": world.invoices[-1]["invoiceDate"] if world.invoices else None,
        "details": [],
        "attributes": {"objectType": "InvoiceSummary"},
    }
