"""Usage line items of an invoice: (azure, usage) daily usage and (marketplace, usage)
daily-rated usage, both derived from the invoice's usage-based Azure lines.

They are made when a page asks for them, from a generator seeded by the world's seed, the
invoice and the customer, so they are the same on every call and draw nothing from the world's
own generator (earlier seeds keep their data). Daily usage spreads each customer's consumed
quantity over the days of the period (unrated, no money). Daily-rated lines are the same usage
rated as an Azure plan would be; the sandbox does not add them to ``totalCharges``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cspbilling.partnercenter.sandbox.ledger import cents

if TYPE_CHECKING:
    from cspbilling.partnercenter.sandbox.seed import World

QUANTUM = Decimal("0.0001")
AZURE_PLAN = {
    "productId": "DZH318Z0BCZC",
    "skuId": "0001",
    "availabilityId": "DZH318Z0BQ3Q",
    "skuName": "Microsoft Azure Plan",
    "productName": "Azure plan",
    "publisherName": "Microsoft",
    "publisherId": "",
}


def _days(invoice: dict[str, Any]) -> list[date]:
    start = date.fromisoformat(invoice["billingPeriodStartDate"][:10])
    end = date.fromisoformat(invoice["billingPeriodEndDate"][:10])
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    weights = [rng.randint(50, 150) for _ in range(parts)]
    whole = sum(weights)
    shares = [(total * w / whole).quantize(QUANTUM) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _per_day(world: World, invoice: dict[str, Any], kind: str):
    days = _days(invoice)
    for line in world.invoice_lines[invoice["id"]]["azure"]:
        rng = random.Random(f"{world.seed}:{invoice['id']}:{line['customerId']}:{kind}")
        yield line, zip(days, _split(line["consumedQuantity"], len(days), rng), strict=True)


def daily_usage(world: World, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for line, daily in _per_day(world, invoice, "usage"):
        for day, quantity in daily:
            items.append(
                {
                    "partnerId": line["partnerId"],
                    "partnerName": line["partnerName"],
                    "partnerBillableAccountId": line["partnerBillableAccountId"],
                    "customerId": line["customerId"],
                    "customerCompanyName": line["customerCompanyName"],
                    "domainName": line["domainName"],
                    "invoiceNumber": invoice["id"],
                    "subscriptionId": line["subscriptionId"],
                    "subscriptionName": line["subscriptionName"],
                    "subscriptionDescription": line["subscriptionDescription"],
                    "usageDate": f"{day.isoformat()}T00:00:00Z",
                    "serviceName": line["serviceName"],
                    "serviceType": line["serviceType"],
                    "resourceGuid": line["resourceGuid"],
                    "resourceName": line["resourceName"],
                    "region": line["region"],
                    "sku": line["sku"],
                    "consumedQuantity": quantity,
                    "unit": line["unit"],
                    "meteredRegion": line["region"],
                    "meteredService": line["serviceName"],
                    "meteredServiceType": line["serviceType"],
                    "project": "",
                    "serviceInfo1": "",
                    "invoiceLineItemType": "usage_line_items",
                    "billingProvider": "azure",
                    "attributes": {"objectType": "DailyUsageLineItem"},
                }
            )
    return items


def daily_rated(world: World, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for line, daily in _per_day(world, invoice, "rated"):
        price = line["listPrice"]
        for day, quantity in daily:
            stamp = f"{day.isoformat()}T00:00:00Z"
            total = cents(price * quantity)
            items.append(
                {
                    "partnerId": line["partnerId"],
                    "partnerName": line["partnerName"],
                    "customerId": line["customerId"],
                    "customerName": line["customerCompanyName"],
                    "customerDomainName": line["domainName"],
                    "customerCountry": "CN",
                    "mpnId": line["mpnId"],
                    "invoiceNumber": invoice["id"],
                    **AZURE_PLAN,
                    "chargeStartDate": invoice["billingPeriodStartDate"],
                    "chargeEndDate": invoice["billingPeriodEndDate"],
                    "usageDate": stamp,
                    "meterType": line["unit"],
                    "meterCategory": line["serviceName"],
                    "meterId": line["resourceGuid"],
                    "meterSubCategory": line["serviceType"],
                    "meterName": line["sku"],
                    "meterRegion": line["region"],
                    "unitOfMeasure": line["unit"],
                    "resourceLocation": line["region"],
                    "consumedService": line["serviceName"],
                    "resourceGroup": "sandbox-rg",
                    "subscriptionId": line["subscriptionId"],
                    "subscriptionDescription": line["subscriptionDescription"],
                    "chargeType": "new",
                    "unitPrice": price,
                    "quantity": quantity,
                    "unitType": line["unit"],
                    "billingPreTaxTotal": total,
                    "billingCurrency": line["currency"],
                    "pricingPreTaxTotal": total,
                    "pricingCurrency": line["currency"],
                    "effectiveUnitPrice": price,
                    "rateOfPartnerEarnedCredit": Decimal("0"),
                    "invoiceLineItemType": "usage_line_items",
                    "billingProvider": "marketplace",
                    "attributes": {"objectType": "DailyRatedUsageLineItem"},
                }
            )
    return items
