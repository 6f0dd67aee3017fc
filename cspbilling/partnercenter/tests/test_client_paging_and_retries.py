"""The client against the real sandbox over HTTP: paging, throttling, retries, errors."""

from __future__ import annotations

import httpx
import pytest

from cspbilling.partnercenter.errors import (
    PartnerCenterAuthError,
    PartnerCenterError,
    PartnerCenterResponseError,
    PartnerCenterThrottled,
    PartnerCenterUnavailable,
)


def test_customers_are_paged_with_the_continuation_header(pc_sandbox, pc_client):
    pc_sandbox.reset(customers=95)

    customers = list(pc_client.iter_customers(page_size=40))

    ids = [c.id for c in customers]
    assert len(ids) == 95
    assert set(ids) == set(pc_sandbox.state.world.customers)
    calls = pc_sandbox.requests("/v1/customers", "GET")
    assert len(calls) == 3
    assert calls[0]["continuation"] is None
    assert calls[1]["continuation"] and calls[2]["continuation"]
    assert calls[1]["continuation"] != calls[2]["continuation"]
    assert "seekOperation=Next" in calls[1]["query"]
    assert {c["correlation_id"] for c in calls} == {pc_client.correlation_id}
    assert len({c["request_id"] for c in calls}) == 3


def test_next_page_without_its_continuation_token_is_refused(pc_sandbox):
    response = httpx.get(
        f"{pc_sandbox.base_url}/v1/customers?size=40&seekOperation=Next",
        headers={"Authorization": f"Bearer {pc_sandbox.token}"},
    )
    assert response.status_code == 400
    assert "MS-ContinuationToken" in response.json()["description"]


def test_customer_filter_starts_with(pc_client, pc_sandbox):
    name = next(iter(pc_sandbox.state.world.customers.values()))["companyProfile"]["companyName"]
    prefix = name[:3]
    found = list(
        pc_client.iter_customers(
            filter={"Field": "CompanyName", "Value": prefix, "Operator": "starts_with"}
        )
    )
    assert found
    assert all(c.company_profile.company_name.startswith(prefix) for c in found)


def test_429_waits_retry_after_and_keeps_the_request_id(pc_sandbox, pc_client, pc_sleeps):
    pc_sandbox.script({"path_prefix": "/v1/customers", "status": 429, "times": 2, "retry_after": 3})

    customers = list(pc_client.iter_customers())

    assert len(customers) == 50
    assert len(pc_sleeps) == 2
    assert all(delay >= 3 for delay in pc_sleeps)
    calls = pc_sandbox.requests("/v1/customers")
    assert [c["status"] for c in calls[:3]] == [429, 429, 200]
    assert len({c["request_id"] for c in calls[:3]}) == 1


def test_server_error_is_retried_then_succeeds(pc_sandbox, pc_client, pc_sleeps):
    customer_id = next(iter(pc_sandbox.state.world.customers))
    pc_sandbox.script({"path_prefix": f"/v1/customers/{customer_id}", "status": 503, "times": 1})

    customer = pc_client.get_customer(customer_id)

    assert customer.id == customer_id
    assert customer.allow_delegated_access is True
    assert [c["status"] for c in pc_sandbox.requests("/v1/customers")] == [503, 200]
    assert len(pc_sleeps) == 1


def test_timeout_is_retried_then_exhausted(pc_sandbox, make_pc_client):
    client = make_pc_client(timeout=0.25, max_retries=2)
    pc_sandbox.script({"path_prefix": "/v1/invoices", "latency_ms": 700, "times": 1})

    assert client.get_invoice_summary().currency_code == "CNY"
    assert len(pc_sandbox.requests("/v1/invoices/summary")) == 2

    pc_sandbox.script({"path_prefix": "/v1/invoices", "latency_ms": 700, "times": 3})
    with pytest.raises(PartnerCenterUnavailable) as caught:
        client.get_invoice_summary()
    assert "gave up after 3 attempts" in str(caught.value)
    assert "GET /v1/invoices/summary" in str(caught.value)


def test_dropped_connection_is_retried(pc_sandbox_global, pc_client):
    pc_sandbox = pc_sandbox_global
    pc_sandbox.script({"path_prefix": "/v1/servicerequests/supporttopics", "drop": True})

    topics = list(pc_client.iter_support_topics())

    assert [t.name for t in topics][:2] == ["Billing", "Subscriptions"]
    assert [c["fault"] for c in pc_sandbox.requests("/v1/servicerequests")] == ["drop", None]


def test_adding_a_note_is_not_blindly_retried_after_a_drop(pc_sandbox_global, pc_client):
    pc_sandbox = pc_sandbox_global
    sr_id = next(iter(pc_sandbox.state.world.service_requests))
    before = len(pc_sandbox.state.world.service_requests[sr_id]["notes"])
    pc_sandbox.script({"path_prefix": "/v1/servicerequests", "method": "PATCH", "drop": True})

    with pytest.raises(PartnerCenterUnavailable, match="not retried"):
        pc_client.add_service_request_note(sr_id, "客户已确认发票金额")

    assert len(pc_sandbox.requests("/v1/servicerequests", "PATCH")) == 1
    assert len(pc_sandbox.state.world.service_requests[sr_id]["notes"]) == before


def test_malformed_json_names_the_endpoint(pc_sandbox, pc_client):
    pc_sandbox.script({"path_prefix": "/v1/customers", "malformed": True})

    with pytest.raises(PartnerCenterResponseError) as caught:
        list(pc_client.iter_customers())

    message = str(caught.value)
    assert message.startswith("GET /v1/customers:")
    assert "not valid JSON" in message
    assert "\n" not in message
    assert len(pc_sandbox.requests("/v1/customers")) == 1


def test_missing_required_field_names_the_field_path(pc_sandbox, pc_client):
    good = list(pc_sandbox.state.world.customers.values())[:4]
    broken = dict(good[3], companyProfile={"domain": "x.partner.onmschina.cn"})
    body = {"totalCount": 4, "items": [*good[:3], broken], "links": {}}
    pc_sandbox.script({"path_prefix": "/v1/customers", "status": 200, "body": body})

    with pytest.raises(PartnerCenterResponseError) as caught:
        list(pc_client.iter_customers())

    assert str(caught.value).startswith(
        "GET /v1/customers: items[3].companyProfile.companyName: field required"
    )


def test_not_found_is_not_retried(pc_sandbox, pc_client, pc_sleeps):
    with pytest.raises(PartnerCenterError) as caught:
        pc_client.get_customer("00000000-0000-0000-0000-000000000000")

    assert caught.value.status == 404
    assert caught.value.request_id
    assert pc_sleeps == []
    assert len(pc_sandbox.requests("/v1/customers")) == 1


def test_token_is_required(pc_sandbox, make_pc_client):
    from cspbilling.partnercenter.auth import SandboxTokenProvider

    bare = httpx.get(f"{pc_sandbox.base_url}/v1/customers")
    assert bare.status_code == 401
    assert "Bearer" in bare.json()["description"]

    client = make_pc_client(token_provider=SandboxTokenProvider("wrong"))
    with pytest.raises(PartnerCenterAuthError) as caught:
        list(client.iter_customers())
    assert caught.value.status == 401
    assert "wrong" not in str(caught.value)


def test_random_faults_are_reproducible_with_a_seed(pc_sandbox_global):
    pc_sandbox = pc_sandbox_global

    def statuses() -> list[int]:
        pc_sandbox.set_faults(rate_429=0.3, rate_5xx=0.2, retry_after=0, seed=11)
        headers = {"Authorization": f"Bearer {pc_sandbox.token}"}
        with httpx.Client(base_url=pc_sandbox.base_url, headers=headers) as http:
            return [http.get("/v1/servicerequests/supporttopics").status_code for _ in range(20)]

    first, second = statuses(), statuses()
    assert first == second
    assert 429 in first and 200 in first


def test_a_client_survives_a_noisy_sandbox(pc_sandbox, make_pc_client):
    client = make_pc_client(max_retries=8)
    pc_sandbox.set_faults(rate_429=0.1, rate_5xx=0.1, rate_drop=0.05, retry_after=0, seed=5)

    customers = list(client.iter_customers(page_size=10))

    assert len(customers) == 50


def test_a_retry_after_beyond_the_cap_fails_at_once_with_the_reason(
    pc_sandbox, make_pc_client, pc_sleeps
):
    pc_sandbox.script(
        {"path_prefix": "/v1/customers", "status": 429, "times": 1, "retry_after": 86400}
    )
    client = make_pc_client(retry_after_max=120)
    with pytest.raises(PartnerCenterThrottled, match="wait 86400 s, more than the 120 s") as caught:
        list(client.iter_customers())
    assert caught.value.retry_after == 86400 and caught.value.status == 429
    assert pc_sleeps == []  # no worker held asleep for a day


def test_a_retry_after_within_the_cap_is_waited(pc_sandbox, make_pc_client, pc_sleeps):
    pc_sandbox.script(
        {"path_prefix": "/v1/customers", "status": 429, "times": 1, "retry_after": 90}
    )
    client = make_pc_client(retry_after_max=120)
    assert len(list(client.iter_customers())) == 50
    assert pc_sleeps == [90]


@pytest.mark.django_db(transaction=True)
def test_no_request_is_sent_while_a_database_transaction_is_open(pc_sandbox, pc_client):
    from django.db import transaction

    from cspbilling.core.network import NetworkInsideTransaction

    before = len(pc_sandbox.requests("/v1/customers"))
    refused = pytest.raises(NetworkInsideTransaction, match="a database transaction is open")
    with refused, transaction.atomic():
        list(pc_client.iter_customers())
    assert len(pc_sandbox.requests("/v1/customers")) == before  # nothing left the machine
    assert len(list(pc_client.iter_customers())) == 50  # outside one, it goes
