"""Fixtures for suspension tests: Django pointed at the sandbox, and mirrored sandbox rows."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from cspbilling.customers.models import BillingContact, Customer
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import do_deliver_message
from cspbilling.subscriptions.models import Subscription


@dataclass
class Mirrored:
    customer: Customer
    subscription: Subscription
    add_ons: list[Subscription]

    @property
    def tenant_id(self) -> str:
        return str(self.customer.tenant_id)


@pytest.fixture
def pc_settings(pc_sandbox, settings):
    """Django's PartnerCenterClient.from_settings() talks to the pc_sandbox."""
    settings.PARTNER_CENTER = dict(
        settings.PARTNER_CENTER,
        SANDBOX_TOKEN=pc_sandbox.token,
        BASE_URL=pc_sandbox.base_url,
        MAX_RETRIES=1,
    )
    return settings


def sandbox_control(pc_sandbox, method: str, path: str, json=None):
    """Call a /_sandbox/ control endpoint (the "21Vianet side") over HTTP."""
    response = httpx.request(
        method,
        pc_sandbox.base_url + path,
        json=json,
        headers={"Authorization": f"Bearer {pc_sandbox.token}"},
    )
    response.raise_for_status()
    return response.json() if response.content else None


def upstream_subscription(pc_sandbox, tenant_id: str, subscription_id: str) -> dict:
    with pc_sandbox.state.lock:
        return dict(pc_sandbox.state.subscription(tenant_id, subscription_id))


@pytest.fixture
def mirror_from_sandbox(pc_sandbox, make_customer, make_subscription):
    """mirror_from_sandbox(language="zh-hans", with_add_on=False, email="billing@…") -> Mirrored:
    a sandbox customer with an active subscription (and, if asked, an active add-on of it),
    mirrored into our tables the way sync would."""
    counter = iter(range(1, 1000))

    def make(*, language: str = "zh-hans", with_add_on: bool = False, email: str | None = None):
        n = next(counter)
        world = pc_sandbox.state.world
        with pc_sandbox.state.lock:
            for cid, subs in world.subscriptions.items():
                active = [s for s in subs.values() if s["status"] == "active"]
                parents = [
                    s
                    for s in active
                    if not s.get("parentSubscriptionId")
                    and any(a.get("parentSubscriptionId") == s["id"] for a in active)
                ]
                plain = [
                    s
                    for s in active
                    if not s.get("parentSubscriptionId")
                    and not any(a.get("parentSubscriptionId") == s["id"] for a in subs.values())
                ]
                pool = parents if with_add_on else plain
                if pool and not Customer.objects.filter(tenant_id=cid).exists():
                    base = pool[0]
                    add_ons = [a for a in active if a.get("parentSubscriptionId") == base["id"]]
                    name = world.customers[cid]["companyProfile"]["companyName"]
                    break
            else:
                raise AssertionError("the sandbox has no suitable customer left")
        customer = make_customer(name, tenant_id=cid, language=language)
        BillingContact.objects.create(
            customer=customer,
            first_name="Billing",
            last_name=f"Contact {n}",
            email=email if email is not None else f"billing{n}@example.cn",
            is_primary=True,
            from_partner_center=True,
        )

        def mirror(sub: dict) -> Subscription:
            return make_subscription(
                customer,
                sub["offerName"],
                subscription_id=sub["id"],
                friendly_name=sub["friendlyName"],
                parent_subscription_id=sub.get("parentSubscriptionId") or "",
            )

        return Mirrored(customer, mirror(base), [mirror(a) for a in add_ons])

    return make


@pytest.fixture
def deliver_commands():
    """deliver_commands() -> {idempotency_key: outcome}: one in-process delivery attempt for every
    pending Partner Center command, oldest first (emails are left in the outbox)."""

    def run(**filters) -> dict[str, str]:
        pending = OutboundMessage.objects.filter(
            kind="partner_center", status="pending", **filters
        ).order_by("id")
        return {
            m.idempotency_key: do_deliver_message(message_id=m.pk, worker_id="test")
            for m in pending
        }

    return run
