"""Console pages: the overview (dry run, run, approvals with evidence, pause switch, forecast
chart), the customer timeline with the future stage days and the data-deletion day, policies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cspbilling.collections.models import Action, PolicyVersion
from cspbilling.collections.tests.fixtures import clock
from cspbilling.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True)

DUE = dt.date(2026, 4, 28)


def test_overview_dry_run_then_run_and_forecast(
    staff_users, client_for, overdue_customer, smtp_server
):
    m, invoice = overdue_customer(DUE)
    finance, readonly = client_for(staff_users["finance"]), client_for(staff_users["readonly"])
    with clock(dt.date(2026, 4, 27)):
        page = finance.get(reverse("collections:overview")).content.decode()
        # Tomorrow the invoice is due, the day after the reminder goes out.
        assert "Next 14 days if nothing is paid: 2 notices, 0 suspensions" in page
        assert 'data-day="2026-04-29"' in page
    with clock(dt.date(2026, 5, 21)):
        assert readonly.post(reverse("collections:run"), {"dry_run": "1"}).status_code == 403
        finance.post(reverse("collections:run"), {"dry_run": "1"})
        page = finance.get(reverse("collections:overview")).content.decode()
        assert "Dry run: what would happen on 2026-05-21" in page and invoice.number in page
        assert Action.objects.count() == 0
        assert not OutboundMessage.objects.filter(idempotency_key__startswith="collections:")
        finance.post(reverse("collections:run"), {"dry_run": "0"})
        assert Action.objects.filter(kind="notify", status="done").count() == 1
        page = finance.get(reverse("collections:overview")).content.decode()
        assert "Tasks for a person" in page and m.customer.display_name in page


def test_timeline_shows_what_happened_and_the_days_ahead(
    staff_users, client_for, overdue_customer, smtp_server
):
    m, _ = overdue_customer(DUE)
    client = client_for(staff_users["support"])
    with clock(dt.date(2026, 5, 12)):
        from cspbilling.collections.services import do_collections_run

        do_collections_run(as_of=dt.date(2026, 5, 12), actor="t")
        page = client.get(reverse("collections:customer", args=[m.customer.tenant_id]))
    html = page.content.decode()
    assert "not acknowledged" in html and "new orders refused" in html
    assert "Second notice, new orders blocked: Notice" in html
    # Ahead: the final notice on 21 May, suspension on 4 June, data deleted 60 days later.
    assert '<td class="nowrap">2026-05-21 ›</td><td>Final notice before suspension' in html
    assert '<td class="nowrap">2026-06-04 ›</td><td>Suspension of the subscriptions' in html
    assert '<td class="nowrap">2026-08-03 ›</td><td>Data deleted if still suspended' in html
    detail = client.get(reverse("web:customer_detail", args=[m.customer.tenant_id]))
    assert reverse("collections:customer", args=[m.customer.tenant_id]) in detail.content.decode()


def test_a_draft_is_edited_as_yaml_and_a_published_version_only_copied(
    staff_users, client_for, default_policy
):
    client = client_for(staff_users["finance"])
    url = reverse("collections:version", args=[default_policy.pk])
    page = client.get(url).content.decode()
    assert "Save as new draft" in page and "Publish</button>" not in page
    text = client.get(url).context["yaml"].replace("offset: 25", "offset: 20")
    response = client.post(url, {"yaml": text})
    draft = PolicyVersion.objects.get(number=2)
    assert response.status_code == 302 and not draft.is_published
    assert (
        PolicyVersion.objects.get(pk=default_policy.pk).stages.get(code="suspension").offset_days
        == 25
    )
    bad = text.replace("offset: 20", "offset: 2")
    response = client.post(reverse("collections:version", args=[draft.pk]), {"yaml": bad})
    assert response.status_code == 400
    assert "stage 4 (suspension): offset 2 must be after" in response.content.decode()
    client.post(reverse("collections:publish", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.is_published and draft.stages.get(code="suspension").offset_days == 20


def test_staff_record_a_signed_copy_choosing_the_version_by_name(
    staff_users, client_for, default_policy, customer_a
):
    finance = client_for(staff_users["finance"])
    url = reverse("collections:customer", args=[customer_a.tenant_id])
    page = finance.get(url).content.decode()
    assert f'<option value="{default_policy.pk}" selected>Standard v1</option>' in page
    assert "not acknowledged" in page
    finance.post(
        reverse("collections:signed_copy", args=[customer_a.tenant_id]),
        {"version": default_policy.pk, "signed_by": "王芳, CFO", "signed_on": "2026-11-20"},
    )
    from cspbilling.collections.models import Acknowledgement

    ack = Acknowledgement.objects.get(customer=customer_a)
    assert (ack.method, ack.acknowledged_by, ack.version) == (
        "signed_copy",
        "王芳, CFO",
        default_policy,
    )
    assert "not acknowledged" not in finance.get(url).content.decode()
