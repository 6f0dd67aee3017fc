"""What Microsoft's generated client and the .NET SDK need from the sandbox (issue 12, 8–12)."""

from __future__ import annotations

import json

import httpx
import pytest

from cspbilling.partnercenter.errors import (
    EtagMismatch,
    PartnerCenterAuthError,
    PartnerCenterError,
    SubscriptionDeleted,
    SubscriptionSuspended,
    error_class_for,
)
from cspbilling.partnercenter.resources import SubscriptionStatus


def _api(pc_sandbox) -> httpx.Client:
    return httpx.Client(
        base_url=pc_sandbox.base_url, headers={"Authorization": f"Bearer {pc_sandbox.token}"}
    )


def _active(pc_sandbox, *, addon: bool = False) -> tuple[str, str]:
    for cid, subs in pc_sandbox.state.world.subscriptions.items():
        for sid, sub in subs.items():
            if sub["status"] == "active" and bool(sub.get("parentSubscriptionId")) == addon:
                return cid, sid
    raise AssertionError("no active subscription in the seed")


# --- 8. PATCH without If-Match -------------------------------------------------------------


def test_patch_without_if_match_is_unconditional(pc_sandbox):
    cid, sid = _active(pc_sandbox)
    path = f"/v1/customers/{cid}/subscriptions/{sid}"
    with _api(pc_sandbox) as api:
        read = api.get(path).json()
        answer = api.patch(path, json=dict(read, status="suspended"))
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "suspended"
        assert answer.json()["attributes"]["etag"] != read["attributes"]["etag"]
        stale = api.patch(
            path,
            json=dict(read, status="active"),
            headers={"If-Match": f'"{read["attributes"]["etag"]}"'},
        )
        assert (stale.status_code, stale.json()["code"]) == (400, 2055)
        assert api.get(path).json()["status"] == "suspended"


# --- 9. size=0 ----------------------------------------------------------------------------


def test_filtered_customer_list_with_size_zero_answers_the_matching_customers(
    pc_sandbox, pc_client
):
    world = pc_sandbox.state.world
    prefix = next(iter(world.customers.values()))["companyProfile"]["companyName"][:2]
    wanted = {
        cid
        for cid, c in world.customers.items()
        if c["companyProfile"]["companyName"].lower().startswith(prefix.lower())
    }
    flt = json.dumps({"Field": "CompanyName", "Value": prefix, "Operator": "starts_with"})
    with _api(pc_sandbox) as api:
        answer = api.get("/v1/customers", params={"size": 0, "filter": flt})
        unfiltered = api.get("/v1/customers", params={"size": 0}).json()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {c["id"] for c in body["items"]} == wanted
    assert body["totalCount"] == len(wanted) and "next" not in body["links"]
    assert len(unfiltered["items"]) == 50  # no size of its own: the largest page (500)

    flt_dict = json.loads(flt)
    assert {c.id for c in pc_client.iter_customers(page_size=1, filter=flt_dict)} == wanted
    assert len(list(pc_client.iter_customers(page_size=0))) == 50


# --- 10. PATCH bodies are validated --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", "ten"),
        ("quantity", -5),
        ("quantity", 0),
        ("quantity", 1.5),
        ("quantity", 1e8),
        ("Quantity", True),
        ("autoRenewEnabled", "yes"),
        ("AutoRenewEnabled", 1),
        ("billingCycle", "weekly"),
        ("termDuration", "one year"),
        ("FriendlyName", ""),
        ("status", "paused"),
        ("status", "deleted"),
    ],
)
def test_invalid_patch_is_refused_naming_the_field_and_nothing_is_stored(pc_sandbox, field, value):
    cid, sid = _active(pc_sandbox)
    path = f"/v1/customers/{cid}/subscriptions/{sid}"
    with _api(pc_sandbox) as api:
        before = api.get(path).json()
        body = {k: v for k, v in before.items() if k.lower() != field.lower()}
        body[field] = value
        answer = api.patch(path, json=body, headers={"If-Match": before["attributes"]["etag"]})
        after = api.get(path).json()

    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert set(error) == {"code", "description", "data", "source"}
    assert error["code"] is None  # the documents give no code for this
    assert field.lower() in error["description"].lower()
    assert any(field.lower() in str(item).lower() for item in error["data"])
    assert after == before  # nothing stored, same ETag


def test_patch_field_names_are_case_insensitive(pc_sandbox, pc_client):
    cid, sid = _active(pc_sandbox)
    path = f"/v1/customers/{cid}/subscriptions/{sid}"
    with _api(pc_sandbox) as api:
        read = api.get(path).json()
        answer = api.patch(
            path,
            json={"Quantity": 12, "AutoRenewEnabled": False, "BillingCycle": "Annual"},
            headers={"If-Match": read["attributes"]["etag"]},
        )
    assert answer.status_code == 200, answer.text
    sub = pc_client.get_subscription(cid, sid)
    assert (sub.quantity, sub.auto_renew_enabled, sub.billing_cycle) == (12, False, "annual")


# --- 11. documented codes only -------------------------------------------------------------


def test_not_found_answers_carry_no_borrowed_code(pc_sandbox):
    cid, _ = _active(pc_sandbox)
    missing = "00000000-0000-4000-8000-000000000000"
    with _api(pc_sandbox) as api:
        answers = [
            api.get(f"/v1/customers/{missing}"),
            api.get(f"/v1/customers/{cid}/subscriptions/{missing}"),
            api.get("/v1/invoices/D0NOSUCH"),
            api.get("/v1/nothing-here"),
            api.get("/v1/customers", params={"size": -1}),
        ]
    assert [a.status_code for a in answers] == [404, 404, 404, 404, 400]
    for answer in answers:
        assert answer.json()["code"] is None
        assert answer.json()["description"]


def test_service_requests_do_not_apply_to_the_21vianet_cloud(pc_sandbox, pc_client):
    assert pc_sandbox.state.cloud == "china"
    sr_id = next(iter(pc_sandbox.state.world.service_requests))
    with _api(pc_sandbox) as api:
        answers = [
            api.get("/v1/servicerequests"),
            api.get(f"/v1/servicerequests/{sr_id}"),
            api.patch(f"/v1/servicerequests/{sr_id}", json={"NewNote": {"Text": "x"}}),
            api.post("/v1/servicerequests/zh-CN", json={"Title": "x"}),
            api.get("/v1/servicerequests/supporttopics"),
        ]
    for answer in answers:
        assert answer.status_code == 404
        assert answer.json()["code"] is None
        assert "21Vianet" in answer.json()["description"]
    with pytest.raises(PartnerCenterError, match="don't apply") as caught:
        list(pc_client.iter_service_requests())
    assert caught.value.status == 404 and caught.value.code is None


def test_service_requests_in_the_global_cloud(pc_sandbox_global):
    with _api(pc_sandbox_global) as api:
        listed = api.get("/v1/servicerequests")
        created = api.post("/v1/servicerequests/en-US", json={"Title": "x"})
    assert listed.status_code == 200 and listed.json()["items"]
    assert created.status_code == 404
    assert created.json()["code"] is None and "decommissioned" in created.json()["description"]


def test_cloud_can_be_chosen_over_the_control_api(pc_sandbox):
    base = pc_sandbox.base_url
    assert httpx.post(f"{base}/_sandbox/reset", json={"cloud": "global"}).json()["cloud"] == (
        "global"
    )
    assert httpx.post(f"{base}/_sandbox/reset", json={"cloud": "mars"}).status_code == 400


def test_documented_codes_still_map_to_our_errors(pc_sandbox, pc_client):
    assert error_class_for(400, "2055") is EtagMismatch
    assert error_class_for(400, "800091") is SubscriptionSuspended
    assert error_class_for(400, "2011") is SubscriptionDeleted
    assert error_class_for(401, None) is PartnerCenterAuthError
    assert error_class_for(404, None) is PartnerCenterError

    cid, sid = _active(pc_sandbox)
    httpx.patch(
        f"{pc_sandbox.base_url}/_sandbox/customers/{cid}/subscriptions/{sid}",
        json={"status": "expired"},
    )
    expired = pc_client.get_subscription(cid, sid)
    with pytest.raises(PartnerCenterError) as caught:
        pc_client.set_subscription_status(cid, expired, SubscriptionStatus.SUSPENDED)
    assert (caught.value.status, caught.value.code) == (400, "800012")


# --- 12. smaller points --------------------------------------------------------------------


def test_correlation_id_is_echoed(pc_sandbox):
    with _api(pc_sandbox) as api:
        answer = api.get("/v1/customers", headers={"MS-CorrelationId": "corr-123"})
        missing = api.get("/v1/customers/nope", headers={"MS-CorrelationId": "corr-456"})
    assert answer.headers["MS-CorrelationId"] == "corr-123"
    assert missing.headers["MS-CorrelationId"] == "corr-456"


def test_links_self_keeps_v1_and_the_filter(pc_sandbox):
    flt = json.dumps({"Field": "CompanyName", "Value": "北", "Operator": "starts_with"})
    with _api(pc_sandbox) as api:
        page = api.get("/v1/customers", params={"size": 5, "filter": flt}).json()
        first = api.get("/v1/customers", params={"size": 5}).json()
    assert page["links"]["self"]["uri"].startswith("/v1/customers?")
    assert "filter=" in page["links"]["self"]["uri"]
    assert first["links"]["next"]["uri"].startswith("/customers?")  # next: documented, no /v1


def test_subscription_carries_the_documented_fields(pc_sandbox, pc_client):
    cid, sid = _active(pc_sandbox)
    with _api(pc_sandbox) as api:
        sub = api.get(f"/v1/customers/{cid}/subscriptions/{sid}").json()
    assert len(sub["entitlementId"]) == 36
    assert isinstance(sub["partnerId"], str)
    assert sub["actions"] == ["Suspend"]
    assert sub["refundOptions"] == []
    assert sub["isMicrosoftProduct"] is True
    assert sub["publisherName"] == "Microsoft Corporation"
    assert sub["renewalTermDuration"] == "P1Y"
    suspended = pc_client.set_subscription_status(
        cid, pc_client.get_subscription(cid, sid), "suspended"
    )
    assert suspended.actions == ["Reactivate"]


def test_mpn_ids_are_numbers_and_usage_lines_are_seeded(pc_sandbox, pc_client):
    invoice_id = pc_sandbox.state.world.invoices[-1]["id"]
    base = f"/v1/invoices/{invoice_id}/lineitems"
    with _api(pc_sandbox) as api:

        def lines(provider: str, kind: str) -> list[dict]:
            params = {"provider": provider, "invoicelineitemtype": kind, "size": 2000}
            return api.get(base, params=params).json()["items"]

        office, azure = lines("office", "billinglineitems"), lines("azure", "billinglineitems")
        daily, rated = lines("azure", "usagelineitems"), lines("marketplace", "usagelineitems")
        again = lines("marketplace", "usagelineitems")
    assert all(isinstance(li["mpnId"], int) for li in office + azure + rated)
    assert daily and rated and again == rated
    assert {li["attributes"]["objectType"] for li in daily} == {"DailyUsageLineItem"}
    assert sum(float(li["consumedQuantity"]) for li in daily) == pytest.approx(
        sum(float(li["consumedQuantity"]) for li in azure)
    )
    assert all(li["billingPreTaxTotal"] >= 0 for li in rated)
    parsed = list(pc_client.iter_invoice_line_items(invoice_id))
    assert parsed[0].mpn_id == "4847383"  # our client still reads it as text
    typed = list(
        pc_client.iter_invoice_line_items(
            invoice_id, provider="marketplace", line_item_type="usage_line_items"
        )
    )
    assert len(typed) == len(rated)
