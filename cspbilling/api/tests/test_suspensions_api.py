"""Suspend and reactivate over the API, against the Partner Center sandbox."""

from __future__ import annotations

import pytest

from cspbilling.accounts.models import Role
from cspbilling.api.tests.fixtures import STAFF
from cspbilling.api.tests.helpers import assert_problem, get, post
from cspbilling.audit.models import AuditEvent
from cspbilling.subscriptions.models import Suspension

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirrored(pc_settings, mirror_from_sandbox):
    return mirror_from_sandbox(language="en")


def test_suspend_then_reactivate_through_the_api(tokens, mirrored, deliver_commands):
    sid = mirrored.subscription.subscription_id
    response = post(
        f"/subscriptions/{sid}/suspend",
        tokens["finance"],
        {"reason": "non_payment", "note": "late"},
    )
    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["status"] == "requested" and queued["upstream"]["state"] == "requested"
    assert queued["subscription_id"] == sid and queued["reason"] == "non_payment"
    assert queued["note"] == "late" and queued["requested_by"] == "staff-finance"
    event = AuditEvent.objects.get(action="subscription.suspension_requested")
    assert event.actor == "staff-finance" and event.object_id == sid

    again = post(f"/subscriptions/{sid}/suspend", tokens["admin"], {"reason": "fraud"})
    assert "already has an open suspension" in assert_problem(again, 409)["detail"]
    early = assert_problem(post(f"/subscriptions/{sid}/reactivate", tokens["finance"]), 409)
    assert "waiting for Partner Center" in early["detail"]
    assert Suspension.objects.count() == 1

    assert deliver_commands() == {f"suspension:{queued['id']}:suspend": "delivered"}
    confirmed = get(f"/suspensions/{queued['id']}", tokens["readonly"]).json()
    assert confirmed["status"] == "suspended" and confirmed["upstream"]["state"] == "confirmed"
    assert confirmed["days_until_deletion"] == 60 and confirmed["data_deletion_on"]
    listed = get("/suspensions", tokens["support"], reason="non_payment").json()
    assert [s["id"] for s in listed["items"]] == [queued["id"]]
    assert get("/suspensions", tokens["support"], reason="fraud").json()["count"] == 0

    response = post(f"/subscriptions/{sid}/reactivate", tokens["admin"], {"note": "paid"})
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "reactivation_requested"
    event = AuditEvent.objects.get(action="subscription.reactivation_requested")
    assert event.actor == "staff-admin"
    assert deliver_commands() == {f"suspension:{queued['id']}:reactivate": "delivered"}
    assert get(f"/suspensions/{queued['id']}", tokens["admin"]).json()["status"] == "reactivated"
    assert get("/suspensions", tokens["admin"]).json()["count"] == 0
    assert_problem(post(f"/subscriptions/{sid}/reactivate", tokens["admin"]), 409)


def test_suspend_role_matrix_and_refusals(tokens, mirrored):
    sid = mirrored.subscription.subscription_id
    body = {"reason": "fraud"}
    events = AuditEvent.objects.count()
    for role in ["support", "readonly"]:
        assert_problem(post(f"/subscriptions/{sid}/suspend", tokens[role], body), 403)
        assert_problem(post(f"/subscriptions/{sid}/reactivate", tokens[role]), 403)
    assert_problem(post(f"/subscriptions/{sid}/suspend", None, body), 401)
    # Another customer's subscription does not exist for a portal token.
    assert_problem(post(f"/subscriptions/{sid}/suspend", tokens["portal"], body), 404)
    assert_problem(post("/subscriptions/nope/suspend", tokens["finance"], body), 404)
    bad = post(f"/subscriptions/{sid}/suspend", tokens["finance"], {"reason": "late"})
    assert "reason" in assert_problem(bad, 422)["detail"]
    assert Suspension.objects.count() == 0 and AuditEvent.objects.count() == events


@pytest.mark.parametrize("path", ["/suspensions", "/suspensions/1"])
def test_read_role_matrix(path, tokens, mirrored):
    suspension = post(
        f"/subscriptions/{mirrored.subscription.subscription_id}/suspend",
        tokens["finance"],
        {"reason": "misuse"},
    ).json()
    path = path.replace("1", str(suspension["id"]))
    for role in STAFF:
        assert get(path, tokens[role]).status_code == 200
    assert_problem(get(path), 401)


def test_portal_token_sees_only_its_own_suspensions(
    tokens, mirrored, make_user, api_token_for, mirror_from_sandbox
):
    other = mirror_from_sandbox(language="en")
    theirs = post(
        f"/subscriptions/{other.subscription.subscription_id}/suspend",
        tokens["finance"],
        {"reason": "non_payment", "note": "staff note"},
    ).json()
    mine = post(
        f"/subscriptions/{mirrored.subscription.subscription_id}/suspend",
        tokens["finance"],
        {"reason": "customer_request", "note": "internal"},
    ).json()
    portal = api_token_for(make_user(Role.CUSTOMER, customer=mirrored.customer, username="p1"))

    body = get("/suspensions", portal).json()
    assert [s["id"] for s in body["items"]] == [mine["id"]]
    own = get(f"/suspensions/{mine['id']}", portal).json()
    assert own["reason"] == "customer_request" and own["status"] == "requested"
    assert own["note"] is None and own["requested_by"] is None  # staff-only fields
    problem = assert_problem(get(f"/suspensions/{theirs['id']}", portal), 404)
    assert other.customer.company_name not in problem["detail"]
    # It may read, not act: its own subscription is 403, another's 404.
    sid = mirrored.subscription.subscription_id
    assert_problem(post(f"/subscriptions/{sid}/reactivate", portal), 403)
    other_sid = other.subscription.subscription_id
    assert_problem(post(f"/subscriptions/{other_sid}/suspend", portal, {"reason": "fraud"}), 404)
    assert_problem(get("/suspensions/999999", tokens["admin"]), 404)
