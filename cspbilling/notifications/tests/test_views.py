"""The outbox pages of the staff console: list, filters, detail, retry and cancel."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent
from cspbilling.audit.selectors import verify_chain
from cspbilling.notifications.models import MessageStatus, OutboundMessage
from cspbilling.notifications.services import queue_email, queue_webhook
from cspbilling.web.tests.browser import sign_in

pytestmark = pytest.mark.django_db
STAFF = ["admin", "finance", "support", "readonly"]


def email(key: str, *, status: str = MessageStatus.PENDING, related=None, **fields):
    with transaction.atomic():
        message = queue_email(
            to=[f"{key}@contoso.example"],
            subject=f"Statement {key}",
            body=fields.pop("body", "Your statement is ready."),
            idempotency_key=key,
            related=related,
            **fields,
        )
    if status != MessageStatus.PENDING:
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=status, attempts=8, last_error="SMTP 550 mailbox unavailable"
        )
        message.refresh_from_db()
    return message


@pytest.fixture
def outbox():
    return {
        "pending": email("pending-1"),
        "failed": email("failed-1", status=MessageStatus.FAILED),
        "delivered": email("delivered-1", status=MessageStatus.DELIVERED),
    }


@pytest.mark.parametrize("role", [*STAFF, "anonymous"])
def test_role_matrix(role, staff_users, client_for, outbox):
    client = Client() if role == "anonymous" else client_for(staff_users[role])
    failed = outbox["failed"]
    pages = [
        reverse("notifications:message_list"),
        reverse("notifications:message_detail", args=[failed.pk]),
    ]
    for url in pages:
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
            continue
        assert response.status_code == 200
        html = response.content.decode()
        assert ('data-action="retry"' in html) == (role != "readonly"), url
        assert ('data-action="cancel"' in html) == (role != "readonly"), url
    retry = client.post(reverse("notifications:message_retry", args=[failed.pk]))
    cancel = client.post(reverse("notifications:message_cancel", args=[failed.pk]))
    if role in ("readonly", "anonymous"):
        assert (retry.status_code, cancel.status_code) == (
            (403, 403) if role == "readonly" else (302, 302)
        )
        failed.refresh_from_db()
        assert failed.status == MessageStatus.FAILED
        assert not AuditEvent.objects.filter(action__startswith="outbox.").exists()


def test_list_shows_what_was_sent_and_filters_by_status_and_kind(
    staff_users, client_for, outbox, customer_a
):
    with transaction.atomic():
        hook = queue_webhook(
            url="https://hooks.contoso.example/billing",
            body={"event": "invoice.issued"},
            secret_name="CSPBILLING_WEBHOOK_SECRET",
            idempotency_key="hook-1",
            related=("customer", customer_a.tenant_id),
        )
    client = client_for(staff_users["readonly"])
    html = client.get(reverse("notifications:message_list")).content.decode()
    for message in [*outbox.values(), hook]:
        assert f'data-message="{message.pk}" data-status="{message.status}"' in html
    assert "failed-1@contoso.example" in html and "Statement failed-1" in html
    assert "SMTP 550 mailbox unavailable" in html and "8/8" in html
    assert reverse("web:customer_detail", args=[customer_a.tenant_id]) in html

    failed_only = client.get(reverse("notifications:message_list"), {"status": "failed"})
    assert failed_only.content.decode().count("data-message=") == 1
    webhooks = client.get(reverse("notifications:message_list"), {"kind": "webhook"})
    assert f'data-message="{hook.pk}"' in webhooks.content.decode()
    assert webhooks.content.decode().count("data-message=") == 1
    nothing = client.get(reverse("notifications:message_list"), {"status": "cancelled"})
    assert "No message matches these filters." in nothing.content.decode()


def test_list_pages_with_a_pinned_query_count(
    staff_users, client_for, django_assert_max_num_queries
):
    for n in range(60):
        email(f"bulk-{n:02d}", status=MessageStatus.FAILED if n % 2 else MessageStatus.PENDING)
    client = client_for(staff_users["admin"])
    client.get(reverse("web:dashboard"))  # warm the session
    with django_assert_max_num_queries(5):
        first = client.get(reverse("notifications:message_list"))
    html = first.content.decode()
    assert html.count("data-message=") == 50 and "1–50 of 60" in html and "page=2" in html
    second = client.get(reverse("notifications:message_list"), {"page": 2}).content.decode()
    assert second.count("data-message=") == 10
    message = OutboundMessage.objects.order_by("id").first()
    with django_assert_max_num_queries(5):
        detail = client.get(reverse("notifications:message_detail", args=[message.pk]))
    assert detail.status_code == 200


def test_retry_through_the_page_requeues_and_is_audited(staff_users, client_for, outbox):
    failed = outbox["failed"]
    client = client_for(staff_users["finance"])
    response = client.post(
        reverse("notifications:message_retry", args=[failed.pk]),
        {"next": reverse("notifications:message_list") + "?status=failed"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("?status=failed")
    assert f"Message #{failed.pk} will be sent again shortly." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == MessageStatus.PENDING and failed.attempts == 0
    assert DBTaskResult.objects.get(id=failed.task_id).status == "READY"
    event = AuditEvent.objects.get(action="outbox.retry")
    assert event.actor == "staff-finance" and event.object_id == str(failed.pk)
    assert event.before["status"] == "failed" and event.after["status"] == "pending"
    assert verify_chain().ok
    detail = client.get(reverse("notifications:message_detail", args=[failed.pk])).content
    assert b"outbox.retry" in detail and b"staff-finance" in detail


def test_cancel_through_the_page_stops_a_pending_message(staff_users, client_for, outbox):
    pending = outbox["pending"]
    response = client_for(staff_users["support"]).post(
        reverse("notifications:message_cancel", args=[pending.pk]),
        {"reason": "customer asked by phone"},
        follow=True,
    )
    assert f"Message #{pending.pk} is cancelled." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == MessageStatus.CANCELLED
    event = AuditEvent.objects.get(action="outbox.cancel")
    assert event.actor == "staff-support" and event.context["reason"] == "customer asked by phone"
    # A cancelled message offers no more buttons.
    html = response.content.decode()
    assert 'data-action="retry"' not in html and 'data-action="cancel"' not in html


def test_a_delivered_message_cannot_be_retried_or_cancelled(staff_users, client_for, outbox):
    delivered = outbox["delivered"]
    client = client_for(staff_users["admin"])
    for name in ("notifications:message_retry", "notifications:message_cancel"):
        html = client.post(reverse(name, args=[delivered.pk]), follow=True).content.decode()
        assert f"message #{delivered.pk} is delivered" in html
    delivered.refresh_from_db()
    assert delivered.status == MessageStatus.DELIVERED
    assert not AuditEvent.objects.filter(action__startswith="outbox.").exists()
    missing = client.post(reverse("notifications:message_retry", args=[99999]), follow=True)
    assert "There is no message #99999." in missing.content.decode()


def test_posts_need_csrf_and_post(staff_users, outbox, client_for):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_users["admin"])
    failed = outbox["failed"]
    assert client.post(reverse("notifications:message_retry", args=[failed.pk])).status_code == 403
    assert client.post(reverse("notifications:message_cancel", args=[failed.pk])).status_code == 403
    failed.refresh_from_db()
    assert failed.status == MessageStatus.FAILED
    get = client_for(staff_users["admin"]).get(
        reverse("notifications:message_retry", args=[failed.pk])
    )
    assert get.status_code == 405


def test_detail_shows_the_text_body_and_never_a_secret(staff_users, client_for):
    message = email(
        "secretive",
        body="Dear customer,\n<script>alert(1)</script>\nYour invoice is attached.",
        html_body="<p>Your <b>invoice</b></p>",
        headers={"Authorization": "Bearer very-secret-token", "X-Case": "42"},
    )
    with transaction.atomic():
        hook = queue_webhook(
            url="https://hooks.contoso.example/billing",
            body={"event": "invoice.issued", "api_key": "sk-live-abc", "nested": {"token": "t0k"}},
            secret_name="CSPBILLING_WEBHOOK_SECRET",
            idempotency_key="hook-secret",
        )
    client = client_for(staff_users["readonly"])
    html = client.get(reverse("notifications:message_detail", args=[message.pk])).content.decode()
    assert "Dear customer," in html and "Your invoice is attached." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>invoice</b>" not in html and "not shown" in html
    assert "very-secret-token" not in html and "X-Case" in html
    html = client.get(reverse("notifications:message_detail", args=[hook.pk])).content.decode()
    assert "invoice.issued" in html and "CSPBILLING_WEBHOOK_SECRET" in html
    assert "sk-live-abc" not in html and "t0k" not in html


@pytest.fixture
def busy_outbox(customer_a):
    email(
        "statement-2025-03-contoso",
        status=MessageStatus.DELIVERED,
        related=("customer", customer_a.tenant_id),
    )
    email(
        "reminder-1-contoso",
        status=MessageStatus.FAILED,
        related=("customer", customer_a.tenant_id),
    )
    email("reminder-2-fabrikam", status=MessageStatus.FAILED)
    email("welcome-northwind")
    with transaction.atomic():
        queue_webhook(
            url="https://erp.contoso.example/hooks/cspbilling",
            body={"event": "invoice.issued", "invoice": "INV-2025-0042", "api_key": "sk-live"},
            secret_name="CSPBILLING_WEBHOOK_SECRET",
            idempotency_key="hook-inv-42",
        )
    OutboundMessage.objects.filter(idempotency_key="statement-2025-03-contoso").update(
        delivered_at=OutboundMessage.objects.get(idempotency_key="welcome-northwind").created_at,
        last_error="",
        attempts=1,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_support_retries_a_failed_email(
    live_server, staff_users, busy_outbox, artifacts_dir, browser
):
    # `browser` comes last: once Playwright's loop runs, the ORM refuses to be called here.
    page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="en-US")
    sign_in(page, live_server, "staff-support")
    page.wait_for_url(f"{live_server.url}/console/")
    assert page.locator("[data-stat=outbox-failed]").inner_text() == "2 failed"
    page.click("nav.sidenav >> text=Outbox")
    page.wait_for_url("**/console/outbox/")
    assert page.locator("#outbox-table tbody tr").count() == 5
    page.screenshot(path=str(artifacts_dir / "console-outbox.png"), full_page=True)

    page.select_option("select[name=status]", "failed")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**/console/outbox/?status=failed*")
    assert page.locator("#outbox-table tbody tr").count() == 2
    page.locator("#outbox-table tr:has-text('reminder-1-contoso') [data-action=retry]").click()
    page.wait_for_selector(".messages li.success")
    assert "will be sent again shortly" in page.locator(".messages").inner_text()
    assert page.locator("#outbox-table tbody tr").count() == 1  # still filtered on failed

    page.click("#outbox-table >> text=Statement reminder-2-fabrikam")
    page.wait_for_selector("#email-body")
    assert "Your statement is ready." in page.locator("#email-body").inner_text()
    page.screenshot(path=str(artifacts_dir / "console-outbox-message.png"), full_page=True)
