"""Sync from the Partner Center sandbox, over real HTTP, into the mirror."""

from __future__ import annotations

import httpx
import pytest

from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain
from cspbilling.customers.models import BillingContact, Customer, CustomerStatus
from cspbilling.partnercenter.auth import SandboxTokenProvider
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.errors import PartnerCenterError
from cspbilling.partnercenter.sandbox.server import start_sandbox
from cspbilling.subscriptions.models import Subscription, SubscriptionStatus
from cspbilling.sync.services import sync_from_partner_center

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    handle = start_sandbox(port=0, customers=12, seed=7)
    yield handle
    handle.stop()


@pytest.fixture
def client(sandbox):
    with PartnerCenterClient(
        base_url=sandbox.base_url,
        token_provider=SandboxTokenProvider(sandbox.token),
        backoff_base=0.01,
        backoff_max=0.05,
        max_retries=3,
    ) as pc:
        yield pc


def control(sandbox, method: str, path: str, json=None):
    response = httpx.request(
        method,
        sandbox.base_url + path,
        json=json,
        headers={"Authorization": f"Bearer {sandbox.token}"},
    )
    response.raise_for_status()
    return response.json() if response.content else None


def mirror_state() -> list[tuple]:
    return sorted(
        [tuple(row) for row in Customer.objects.values_list("tenant_id", "company_name", "status")]
        + [
            tuple(row)
            for row in Subscription.objects.values_list(
                "subscription_id", "status", "quantity", "removed_upstream_at"
            )
        ],
        key=str,
    )


def test_first_sync_mirrors_every_customer_subscription_and_contact(sandbox, client):
    upstream = list(client.iter_customers())
    upstream_subs = {c.id: list(client.iter_subscriptions(c.id)) for c in upstream}

    report = sync_from_partner_center(client=client)

    assert report.customers["created"] == len(upstream) == Customer.objects.count()
    total_subs = sum(len(s) for s in upstream_subs.values())
    assert report.subscriptions["created"] == total_subs == Subscription.objects.count()
    one = upstream[0]
    mirrored = Customer.objects.get(tenant_id=one.id)
    assert mirrored.company_name == one.company_profile.company_name
    assert mirrored.domain == one.company_profile.domain
    assert mirrored.subscriptions.count() == len(upstream_subs[one.id])
    contact = BillingContact.objects.get(customer=mirrored, from_partner_center=True)
    assert contact.email == one.billing_profile.email
    # New customers start in the language of their Partner Center culture.
    for customer in upstream:
        culture = (customer.billing_profile.culture or "").lower()
        expected = "zh-hans" if culture.startswith("zh") else culture[:2] or "zh-hans"
        assert Customer.objects.get(tenant_id=customer.id).language == expected
    assert AuditEvent.objects.filter(action="customer.discovered_upstream").count() == len(upstream)
    assert verify_chain().ok


def test_second_sync_changes_nothing(sandbox, client):
    sync_from_partner_center(client=client)
    before = mirror_state()
    updated_at = list(Customer.objects.order_by("id").values_list("updated_at", flat=True))
    events = AuditEvent.objects.count()

    report = sync_from_partner_center(client=client)

    assert not report.changed_anything
    assert report.customers["unchanged"] == Customer.objects.count()
    assert mirror_state() == before
    assert list(Customer.objects.order_by("id").values_list("updated_at", flat=True)) == updated_at
    assert AuditEvent.objects.count() == events


def test_upstream_suspension_is_mirrored_and_audited(sandbox, client):
    sync_from_partner_center(client=client)
    sub = Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).first()
    tenant = str(sub.customer.tenant_id)
    upstream = client.get_subscription(tenant, sub.subscription_id)
    client.set_subscription_status(tenant, upstream, "suspended")

    report = sync_from_partner_center(client=client)

    sub.refresh_from_db()
    assert sub.status == SubscriptionStatus.SUSPENDED
    assert report.subscriptions["updated"] == 1
    event = AuditEvent.objects.get(
        action="subscription.changed_upstream", object_id=sub.subscription_id
    )
    assert event.before["status"] == "active" and event.after["status"] == "suspended"


def test_customer_gone_upstream_is_marked_not_deleted_and_keeps_our_fields(sandbox, client):
    sync_from_partner_center(client=client)
    gone = Customer.objects.order_by("id").first()
    gone.tax_id = "91350100M000100Y43"
    gone.payment_terms_days = 45
    gone.save()
    control(sandbox, "DELETE", f"/_sandbox/customers/{gone.tenant_id}")

    report = sync_from_partner_center(client=client)

    gone.refresh_from_db()
    assert report.customers["removed"] == 1
    assert gone.status == CustomerStatus.REMOVED_UPSTREAM and gone.removed_upstream_at
    assert (gone.tax_id, gone.payment_terms_days) == ("91350100M000100Y43", 45)
    assert all(s.removed_upstream_at for s in gone.subscriptions.all())
    assert AuditEvent.objects.filter(
        action="customer.removed_upstream", object_id=str(gone.tenant_id)
    ).exists()


def test_new_upstream_customer_arrives_and_own_fields_survive_a_rename(sandbox, client):
    sync_from_partner_center(client=client)
    kept = Customer.objects.order_by("id").first()
    kept.language = "fr"
    kept.save()
    control(sandbox, "POST", "/_sandbox/customers", {"company_name": "上海新客户科技有限公司"})

    report = sync_from_partner_center(client=client)

    assert report.customers["created"] == 1
    assert Customer.objects.filter(company_name="上海新客户科技有限公司").exists()
    kept.refresh_from_db()
    assert kept.language == "fr"


def test_a_failed_fetch_changes_nothing(sandbox, client):
    sync_from_partner_center(client=client)
    before = mirror_state()
    events = AuditEvent.objects.count()
    control(sandbox, "DELETE", f"/_sandbox/customers/{Customer.objects.first().tenant_id}")
    sandbox.script({"path_prefix": "/v1/customers/", "status": 500, "times": 100})

    with pytest.raises(PartnerCenterError):
        sync_from_partner_center(client=client)

    assert mirror_state() == before
    assert AuditEvent.objects.count() == events
