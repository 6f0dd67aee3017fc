"""From Partner Center subscriptions to the fields we mirror. Pure functions, no database."""

from __future__ import annotations

from typing import Any

from cspbilling.core.attrs import aware_datetime, clip, dig, enum_text
from cspbilling.subscriptions.models import SubscriptionStatus

KNOWN_STATUSES = set(SubscriptionStatus.values)


def subscription_fields(resource: Any) -> dict[str, Any]:
    status = enum_text(dig(resource, "status", default="none")) or "none"
    return {
        "offer_id": clip(dig(resource, "offer_id"), 128),
        "offer_name": clip(dig(resource, "offer_name"), 255),
        "friendly_name": clip(dig(resource, "friendly_name"), 255),
        "quantity": int(dig(resource, "quantity", default=0) or 0),
        "unit_type": clip(dig(resource, "unit_type"), 50),
        "parent_subscription_id": clip(dig(resource, "parent_subscription_id"), 64),
        "creation_date": aware_datetime(dig(resource, "creation_date", default=None)),
        "effective_start_date": aware_datetime(dig(resource, "effective_start_date", default=None)),
        "commitment_end_date": aware_datetime(dig(resource, "commitment_end_date", default=None)),
        "status": status if status in KNOWN_STATUSES else SubscriptionStatus.NONE,
        "suspension_reasons": [str(r) for r in dig(resource, "suspension_reasons", default=[])],
        "auto_renew_enabled": bool(dig(resource, "auto_renew_enabled", default=False)),
        "billing_type": enum_text(dig(resource, "billing_type")),
        "billing_cycle": enum_text(dig(resource, "billing_cycle")),
        "term_duration": clip(dig(resource, "term_duration"), 16),
        "is_trial": bool(dig(resource, "is_trial", default=False)),
        "order_id": clip(dig(resource, "order_id"), 64),
        "partner_id": clip(dig(resource, "partner_id"), 64),
        "contract_type": clip(dig(resource, "contract_type"), 64),
    }
