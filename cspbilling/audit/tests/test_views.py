"""The audit log page: newest first, filters, keyset paging, verify the chain in the background."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent, ChainVerification
from cspbilling.audit.services import record_event
from cspbilling.audit.tasks import verify_audit_chain
from cspbilling.audit.templatetags.audit_display import compact_diff, redact
from cspbilling.web.tests.browser import sign_in

pytestmark = pytest.mark.django_db
STAFF = ["admin", "finance", "support", "readonly"]


def record(action: str, object_type: str = "thing", object_id="1", actor="alice", **kw):
    with transaction.atomic():
        return record_event(
            actor=actor, action=action, object_type=object_type, object_id=object_id, **kw
        )


@pytest.mark.parametrize("role", [*STAFF, "anonymous"])
def test_role_matrix(role, staff_users, client_for):
    record("outbox.retry")
    client = Client() if role == "anonymous" else client_for(staff_users[role])
    for url in (
        reverse("audit:event_list"),
        reverse("audit:verification_status"),
        reverse("audit:object_events") + "?object_type=thing&object_id=1",
    ):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code == 200, url
    post = client.post(reverse("audit:verify"))
    if role == "anonymous":
        assert post.status_code == 302
    elif role == "admin":
        assert post.status_code == 302 and ChainVerification.objects.count() == 1
    else:
        assert post.status_code == 403 and not ChainVerification.objects.exists()
        html = client.get(reverse("audit:event_list")).content.decode()
        assert 'id="verify-chain"' not in html


def test_events_newest_first_with_a_compact_diff_and_object_links(
    staff_users, client_for, customer_a
):
    record(
        "customer.billing_settings_changed",
        "customer",
        customer_a.tenant_id,
        "bob",
        before={"legal_name": "Old", "currency": "CNY"},
        after={"legal_name": "New", "currency": "CNY"},
    )
    record(
        "outbox.cancel",
        "outbound_message",
        7,
        "carol",
        before={"status": "pending"},
        after={"status": "cancelled"},
    )
    html = client_for(staff_users["readonly"]).get(reverse("audit:event_list")).content.decode()
    assert html.index("outbox.cancel") < html.index("customer.billing_settings_changed")
    assert reverse("web:customer_detail", args=[customer_a.tenant_id]) in html
    assert reverse("notifications:message_detail", args=[7]) in html
    assert '<span class="was">Old</span> → <span class="now">New</span>' in html
    assert "currency" not in html.split('id="audit-table"')[1]  # unchanged fields are left out


def test_filters_by_action_prefix_object_and_actor(staff_users, client_for):
    record("outbox.retry", "outbound_message", 1, "alice")
    record("outbox.cancel", "outbound_message", 2, "bob")
    record("customer.discovered_upstream", "customer", "abc", "sync")
    client = client_for(staff_users["support"])

    def actions(**query) -> list[str]:
        html = client.get(reverse("audit:event_list"), query).content.decode()
        return [a for a in ("outbox.retry", "outbox.cancel", "customer.discovered") if a in html]

    assert actions(action="outbox.") == ["outbox.retry", "outbox.cancel"]
    assert actions(object_type="outbound_message", object_id="2") == ["outbox.cancel"]
    assert actions(actor="sync") == ["customer.discovered"]
    assert actions(action="nothing.") == []
    empty = client.get(reverse("audit:event_list"), {"action": "nothing."}).content.decode()
    assert "No event matches these filters." in empty


def test_keyset_paging_never_counts_the_table(
    staff_users, client_for, django_assert_max_num_queries
):
    with transaction.atomic():
        for n in range(120):
            record_event(actor="bulk", action="user.created", object_type="t", object_id=n)
    client = client_for(staff_users["admin"])
    client.get(reverse("web:dashboard"))
    seen, url, pages = [], reverse("audit:event_list") + "?actor=bulk", 0
    while url:
        with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        ids = [int(part.split('"')[0]) for part in html.split('data-event="')[1:]]
        seen += ids
        pages += 1
        marker = 'href="?'
        older = [p for p in html.split(marker)[1:] if 'id="older"' in p.split(">")[0]]
        url = (
            reverse("audit:event_list") + "?" + older[0].split('"')[0].replace("&amp;", "&")
            if older
            else ""
        )
    assert pages == 3 and len(seen) == 120 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    assert "The oldest event is shown." in html


def test_verify_chain_runs_in_the_background_and_shows_the_result(staff_users, client_for):
    for n in range(5):
        record("user.created", object_id=n, after={"n": n})
    admin = client_for(staff_users["admin"])
    response = admin.post(reverse("audit:verify"), follow=True)
    verification = ChainVerification.objects.get()
    assert verification.status == "queued"
    assert DBTaskResult.objects.get(id=verification.task_id).status == "READY"
    html = response.content.decode()
    assert f"Chain verification #{verification.pk} queued" in html
    assert 'hx-trigger="every 1s"' in html and "waiting for a worker" in html
    # Asking again while it is queued does not start a second one.
    again = admin.post(reverse("audit:verify"), follow=True).content.decode()
    assert "already under way" in again and ChainVerification.objects.count() == 1

    assert verify_audit_chain.call(verification_id=verification.pk) == "intact"

    status = client_for(staff_users["readonly"]).get(reverse("audit:verification_status"))
    html = status.content.decode()
    total = AuditEvent.objects.count()  # with the events of the staff users' creation
    assert "Intact" in html and f"All {total} events verified" in html
    assert 'hx-trigger="every 1s"' not in html
    verification.refresh_from_db()
    assert (verification.progress_done, verification.progress_total, verification.intact) == (
        total,
        total,
        True,
    )


def test_verify_chain_lists_the_problems_of_a_tampered_chain(staff_users, client_for):
    events = [record("user.created", object_id=n, after={"n": n}) for n in range(4)]
    AuditEvent.objects.filter(pk=events[1].pk).update(after={"n": 99})
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    admin = client_for(staff_users["admin"])
    admin.post(reverse("audit:verify"))
    verification = ChainVerification.objects.get()
    assert verify_audit_chain.call(verification_id=verification.pk) == "2 problem(s)"
    html = admin.get(reverse("audit:event_list")).content.decode()
    assert "The chain is broken: 2 problems found" in html
    assert f"event #{events[1].pk}: its content was edited after it was written" in html
    assert f"event #{events[3].pk}: the event before it was deleted or altered" in html


def test_verify_needs_csrf(staff_users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    assert client.post(reverse("audit:verify")).status_code == 403
    assert not ChainVerification.objects.exists()


def test_customer_page_loads_its_history(staff_users, client_for, customer_a):
    record(
        "customer.billing_settings_changed",
        "customer",
        customer_a.tenant_id,
        "bob",
        before={"tax_id": ""},
        after={"tax_id": "91350100M000100Y43"},
    )
    record("customer.changed_upstream", "customer", "someone-else", "bob")
    client = client_for(staff_users["readonly"])
    page = client.get(reverse("web:customer_detail", args=[customer_a.tenant_id])).content
    assert b'hx-get="/console/audit/object/?object_type=customer&amp;object_id=' in page
    fragment = client.get(
        reverse("audit:object_events"),
        {"object_type": "customer", "object_id": str(customer_a.tenant_id)},
    ).content.decode()
    assert "customer.billing_settings_changed" in fragment and "91350100M000100Y43" in fragment
    assert "customer.changed_upstream" not in fragment


def test_diff_and_redaction_helpers():
    assert redact({"password": "x", "nested": [{"api_key": "k"}], "secret_name": "ENV"}) == {
        "password": "••••••",
        "nested": [{"api_key": "••••••"}],
        "secret_name": "ENV",
    }
    rows = compact_diff({"a": 1, "b": 2, "token": "old"}, {"a": 1, "b": 3, "c": "x" * 200})
    assert [r["field"] for r in rows] == ["b", "token", "c"]
    assert rows[1]["before"] == "••••••" and rows[1]["after"] is None
    assert len(rows[2]["after"]) == 80
    assert compact_diff(None, "created") == [{"field": "", "before": None, "after": "created"}]


@pytest.fixture
def audit_worker(start_worker):
    return start_worker()


@pytest.fixture
def some_history(customer_a):
    record(
        "customer.billing_settings_changed",
        "customer",
        customer_a.tenant_id,
        "staff-admin",
        before={"legal_name": "", "payment_terms_days": 30},
        after={"legal_name": "上海康托索科技有限公司", "payment_terms_days": 45},
    )
    record(
        "outbox.retry",
        "outbound_message",
        12,
        "staff-support",
        before={"status": "failed", "attempts": 8},
        after={"status": "pending", "attempts": 0},
    )
    record("sync.requested", "sync_run", 3, "staff-finance", after={"trigger": "manual"})


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_browser_admin_verifies_the_chain(
    live_server, staff_users, some_history, audit_worker, artifacts_dir, browser
):
    # `browser` comes last: once Playwright's loop runs, the ORM refuses to be called here.
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-admin")
    page.wait_for_url(f"{live_server.url}/console/")
    page.click("nav.sidenav >> text=Audit log")
    page.wait_for_url("**/console/audit/")
    page.click("#verify-chain")
    # htmx polls the status row until the worker has finished.
    page.wait_for_selector("#chain-result", timeout=60_000)
    assert "Intact" in page.locator("#chain-verification").inner_text()
    assert "上海康托索科技有限公司" in page.locator("#audit-table").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-audit.png"), full_page=True)
