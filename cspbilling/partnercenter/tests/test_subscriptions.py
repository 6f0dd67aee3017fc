"""Suspend and reactivate through the sandbox: state persists, ETags guard every change."""

from __future__ import annotations

import pytest

from cspbilling.partnercenter.errors import (
    EtagMismatch,
    PartnerCenterError,
    SubscriptionDeleted,
    SubscriptionSuspended,
)
from cspbilling.partnercenter.resources import SubscriptionStatus


def _first(pc_sandbox, status: str, *, addon: bool = False):
    for cid, subs in pc_sandbox.state.world.subscriptions.items():
        for sid, sub in subs.items():
            if sub["status"] == status and bool(sub.get("parentSubscriptionId")) == addon:
                return cid, sid
    raise AssertionError(f"no {status} subscription in the seed")


def test_suspend_then_read_back_suspended(pc_sandbox, pc_client, make_pc_client):
    cid, sid = _first(pc_sandbox, "active")
    before = pc_client.get_subscription(cid, sid)

    after = pc_client.set_subscription_status(cid, before, SubscriptionStatus.SUSPENDED)

    assert after.status is SubscriptionStatus.SUSPENDED
    assert after.etag != before.etag
    assert after.suspension_reasons  # opaque strings, kept as sent
    assert after.quantity == before.quantity
    patch = pc_sandbox.requests(f"/v1/customers/{cid}/subscriptions/{sid}", "PATCH")[0]
    assert patch["status"] == 200

    other = make_pc_client()  # another connection, later: the change persisted
    reread = other.get_subscription(cid, sid)
    assert reread.status is SubscriptionStatus.SUSPENDED
    assert reread.etag == after.etag
    listed = {s.id: s for s in other.iter_subscriptions(cid)}
    assert listed[sid].status is SubscriptionStatus.SUSPENDED

    reactivated = other.set_subscription_status(cid, reread, "active")
    assert reactivated.status is SubscriptionStatus.ACTIVE
    assert reactivated.suspension_reasons == []


def test_stale_etag_raises_etag_mismatch(pc_sandbox, pc_client):
    cid, sid = _first(pc_sandbox, "active")
    stale = pc_client.get_subscription(cid, sid)
    pc_client.set_subscription_status(cid, stale, "suspended")

    with pytest.raises(EtagMismatch) as caught:
        pc_client.set_subscription_status(cid, stale, "active")

    assert caught.value.status == 400
    assert caught.value.code == "2055"
    assert pc_client.get_subscription(cid, sid).status is SubscriptionStatus.SUSPENDED


def test_change_made_elsewhere_invalidates_the_etag(pc_sandbox, pc_client):
    import httpx

    cid, sid = _first(pc_sandbox, "active")
    read = pc_client.get_subscription(cid, sid)
    answer = httpx.patch(
        f"{pc_sandbox.base_url}/_sandbox/customers/{cid}/subscriptions/{sid}",
        json={"quantity": read.quantity + 1},
    )
    assert answer.status_code == 200

    with pytest.raises(EtagMismatch):
        pc_client.set_subscription_status(cid, read, "suspended")


def test_suspended_subscription_rejects_other_changes(pc_sandbox, pc_client):
    cid, sid = _first(pc_sandbox, "suspended")
    sub = pc_client.get_subscription(cid, sid)
    body = dict(sub.raw, quantity=sub.quantity + 5)

    with pytest.raises(SubscriptionSuspended) as caught:
        pc_client.transport.request(
            "PATCH",
            f"/v1/customers/{cid}/subscriptions/{sid}",
            body=body,
            headers={"If-Match": f'"{sub.etag}"'},
        )
    assert caught.value.code == "800091"


def test_deleted_subscription_cannot_be_updated(pc_sandbox, pc_client):
    cid, sid = _first(pc_sandbox, "deleted")
    sub = pc_client.get_subscription(cid, sid)

    with pytest.raises(SubscriptionDeleted) as caught:
        pc_client.set_subscription_status(cid, sub, "active")
    assert caught.value.code == "2011"


def test_addon_cannot_be_reactivated_while_its_parent_is_suspended(pc_sandbox, pc_client):
    cid, sid = _first(pc_sandbox, "active", addon=True)
    addon = pc_client.get_subscription(cid, sid)
    parent = pc_client.get_subscription(cid, addon.parent_subscription_id)
    pc_client.set_subscription_status(cid, parent, "suspended")
    addon = pc_client.set_subscription_status(cid, addon, "suspended")

    with pytest.raises(PartnerCenterError) as caught:
        pc_client.set_subscription_status(cid, addon, "active")
    assert (caught.value.status, caught.value.code) == (409, "27009")


def test_concurrent_clients_while_subscriptions_change(pc_sandbox, make_pc_client):
    from concurrent.futures import ThreadPoolExecutor

    cid, sid = _first(pc_sandbox, "active")
    writer = make_pc_client()
    readers = [make_pc_client() for _ in range(4)]

    def read_all(client):
        return sum(1 for _ in client.iter_customers(page_size=7))

    def flip():
        for _ in range(5):
            sub = writer.get_subscription(cid, sid)
            target = "suspended" if sub.status == "active" else "active"
            writer.set_subscription_status(cid, sub, target)
        return writer.get_subscription(cid, sid).status

    with ThreadPoolExecutor(max_workers=5) as pool:
        counts = list(pool.map(read_all, readers))
        final = pool.submit(flip).result()
    assert counts == [50] * 4
    assert final is SubscriptionStatus.SUSPENDED
