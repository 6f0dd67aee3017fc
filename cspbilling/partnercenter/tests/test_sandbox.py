"""The sandbox itself: deterministic seed, scale, control endpoints, the management command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cspbilling.partnercenter.sandbox.seed import build_world


def test_seed_is_deterministic_and_realistic():
    first, again = build_world(customers=30, seed=7), build_world(customers=30, seed=7)
    other = build_world(customers=30, seed=8)
    assert first.customers == again.customers
    assert first.subscriptions == again.subscriptions
    assert [i["totalCharges"] for i in first.invoices] == [
        i["totalCharges"] for i in again.invoices
    ]
    assert first.customers != other.customers

    world = build_world(customers=200, seed=1)
    customers = list(world.customers.values())
    cultures = {c["billingProfile"]["culture"] for c in customers}
    assert cultures == {"zh-CN", "en-US", "fr-FR"}
    assert any(c["companyProfile"]["companyName"].endswith("有限公司") for c in customers)
    domains = [c["companyProfile"]["domain"] for c in customers]
    assert len(set(domains)) == len(domains)
    assert all(d.endswith(".partner.onmschina.cn") for d in domains)
    subs = [s for group in world.subscriptions.values() for s in group.values()]
    assert all(1 <= len(g) <= 6 for g in world.subscriptions.values())
    statuses = {s["status"] for s in subs}
    assert {"active", "suspended", "deleted"} <= statuses
    assert any(s.get("parentSubscriptionId") for s in subs)
    assert {s["billingCycle"] for s in subs} == {"monthly", "annual"}


def test_ten_thousand_customers_seed_in_seconds():
    started = time.monotonic()
    world = build_world(customers=10_000, seed=3)
    elapsed = time.monotonic() - started
    assert len(world.customers) == 10_000
    assert elapsed < 30, f"seeding 10,000 customers took {elapsed:.1f}s"


def test_customers_added_and_removed_on_the_21vianet_side(pc_sandbox, pc_client):
    added = httpx.post(
        f"{pc_sandbox.base_url}/_sandbox/customers",
        json={"company_name": "北京云启科技有限公司", "culture": "zh-CN", "subscriptions": 2},
    )
    assert added.status_code == 201
    new_id = added.json()["id"]
    ids = {c.id for c in pc_client.iter_customers()}
    assert new_id in ids and len(ids) == 51
    assert len(list(pc_client.iter_subscriptions(new_id))) == 2
    invoice = httpx.post(f"{pc_sandbox.base_url}/_sandbox/invoices", json={}).json()
    lines = [
        li for li in pc_client.iter_invoice_line_items(invoice["id"]) if li.customer_id == new_id
    ]
    assert {li.charge_type for li in lines} == {"Prorate fees when purchase"}
    assert {li.customer_name for li in lines} == {"北京云启科技有限公司"}

    gone = next(iter(ids - {new_id}))
    assert httpx.delete(f"{pc_sandbox.base_url}/_sandbox/customers/{gone}").status_code == 204
    assert gone not in {c.id for c in pc_client.iter_customers()}


def test_faults_settable_over_http(pc_sandbox):
    answer = httpx.post(
        f"{pc_sandbox.base_url}/_sandbox/faults",
        json={"script": [{"path_prefix": "/v1/invoices", "status": 429, "retry_after": 2}]},
    )
    assert answer.status_code == 200
    throttled = httpx.get(
        f"{pc_sandbox.base_url}/v1/invoices",
        headers={"Authorization": f"Bearer {pc_sandbox.token}"},
    )
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["message"].startswith("Rate limit is exceeded")
    bad = httpx.post(f"{pc_sandbox.base_url}/_sandbox/faults", json={"rate_429": 3})
    assert bad.status_code == 400


def test_sandbox_command_serves_until_interrupted():
    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cspbilling.cli",
            "sandbox",
            "--port",
            "0",
            "--customers",
            "5",
            "--token",
            "tok-123",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("Partner Center sandbox at http://127.0.0.1:"), first
        base_url = first.rsplit(" ", 1)[1]
        assert proc.stdout.readline().strip() == "token: tok-123"
        answer = httpx.get(f"{base_url}/v1/customers", headers={"Authorization": "Bearer tok-123"})
        assert answer.status_code == 200 and len(answer.json()["items"]) == 5
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert proc.returncode in (0, 130)
