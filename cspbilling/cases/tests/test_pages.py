"""Console queues and case page, the customer page, the portal, the API and the CLI: who sees
what (never an internal note for the customer, never another customer's case), query counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cspbilling.cases.models import Case, CaseStatus
from cspbilling.cases.selectors import sla_figures
from cspbilling.cases.services import (
    do_add_note,
    do_assign_case,
    do_reply_to_case,
    do_resolve_case,
)
from cspbilling.cases.services.sla_warnings import do_warn_sla
from cspbilling.notifications.models import OutboundMessage

NOTE = "INTERNAL: credit limit under review"


@pytest.fixture
def busy_queues(make_case, customer_b, staff_users, issued_invoice, customer_a):
    """Cases in every queue: mine, unassigned, waiting, escalated (to 21Vianet), triage."""
    from cspbilling.cases.services import do_open_case
    from cspbilling.escalations.services import do_escalate_case

    agent = staff_users["support"]
    line = issued_invoice(amounts=("100",), customer=customer_a).lines.get()
    cases = [
        make_case(subject=f"Question {n}", invoice_lines=[line] if n == 2 else []) for n in range(6)
    ]
    cases += [make_case(customer=customer_b, subject="Fabrikam question")]
    for case in cases[:3]:
        do_assign_case(case=case, assignee=agent, actor="lead")
    do_reply_to_case(case=cases[1], body="请提供订单号。", actor="agent", wait_on_customer=True)
    do_escalate_case(case=cases[2], actor="agent")
    do_add_note(case=cases[0], body=NOTE, actor="agent")
    do_open_case(
        customer=None,
        subject="Who am I",
        body="?",
        category="payment",
        channel="email",
        actor="mail",
        contact_email="stranger@example.com",
    )
    return cases


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "queue, expected",
    [
        ("mine", 3),
        ("unassigned", 4),
        ("waiting", 1),
        ("escalated", 1),
        ("triage", 1),
        ("due_soon", None),
        ("all", 8),
    ],
)
def test_queue_pages_list_their_cases_in_few_queries(
    busy_queues, staff_users, client_for, django_assert_max_num_queries, queue, expected
) -> None:
    client = client_for(staff_users["support"])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("cases:queue") + f"?queue={queue}")
    assert page.status_code == 200
    rows = page.content.decode().count("<tr data-case=")
    if expected is not None:
        assert rows == expected


@pytest.mark.django_db(transaction=True)
def test_the_case_page_shows_the_conversation_and_staff_reply_note_and_resolve(
    busy_queues, staff_users, client_for, django_assert_max_num_queries
) -> None:
    case = busy_queues[0]
    client = client_for(staff_users["support"])
    with django_assert_max_num_queries(16):
        page = client.get(reverse("cases:case_detail", args=[case.reference])).content.decode()
    assert NOTE in page and 'data-visibility="internal"' in page
    act = reverse("cases:case_act", args=[case.reference])
    client.post(act, {"action": "reply", "body": "我们已核对。"})
    client.post(act, {"action": "resolve", "body": "发票无误。"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    readonly = client_for(staff_users["readonly"])
    assert readonly.post(act, {"action": "note", "body": "x"}).status_code == 403
    assert readonly.get(reverse("cases:case_detail", args=[case.reference])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_customer_page_shows_its_open_cases(
    busy_queues, customer_a, staff_users, client_for
) -> None:
    client = client_for(staff_users["readonly"])
    page = client.get(reverse("web:customer_detail", args=[customer_a.tenant_id]))
    html = page.content.decode()
    assert 'id="open-cases"' in html and html.count("<tr data-case=") == 6


@pytest.mark.django_db(transaction=True)
def test_the_portal_lists_its_cases_and_opens_one_about_an_invoice_line(
    busy_queues, portal_user_a, client_for, issued_invoice, customer_a
) -> None:
    invoice = issued_invoice(amounts=("100",), customer=customer_a)
    line = invoice.lines.get()
    client = client_for(portal_user_a)
    listing = client.get(reverse("portal:cases")).content.decode()
    assert listing.count("/portal/cases/CASE-") == 6 and "Fabrikam question" not in listing
    form = client.get(reverse("portal:case_new") + f"?line={line.pk}").content.decode()
    assert invoice.number in form
    response = client.post(
        reverse("portal:case_new"),
        {
            "line": line.pk,
            "category": "invoice_question",
            "subject": "数量不对",
            "body": "E3 数量应为 20。",
        },
    )
    case = Case.objects.get(subject="数量不对")
    assert response.url == reverse("portal:case_detail", args=[case.reference])
    assert list(case.invoice_lines.all()) == [line] and list(case.invoices.all()) == [invoice]
    # From the invoices page: "ask about this invoice", then pick the line.
    invoices_page = client.get(reverse("portal:invoices")).content.decode()
    assert f'data-ask="{invoice.number}"' in invoices_page
    ask = client.get(reverse("portal:case_new") + f"?invoice={invoice.number}").content.decode()
    assert f'<option value="{line.pk}">' in ask
    client.post(
        reverse("portal:case_new"),
        {
            "invoice": invoice.number,
            "line": line.pk,
            "category": "dispute_x",
            "subject": "s",
            "body": "b",
        },
    )
    assert not Case.objects.filter(subject="s").exists()  # an unknown category: refused
    client.post(
        reverse("portal:case_new"),
        {
            "invoice": invoice.number,
            "line": line.pk,
            "category": "payment",
            "subject": "s",
            "body": "b",
        },
    )
    assert list(Case.objects.get(subject="s").invoice_lines.all()) == [line]
    other = client.get(reverse("portal:case_new") + "?invoice=INV-2099-999999")
    assert other.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_customer_never_reads_an_internal_note_nor_another_customers_case(
    busy_queues, portal_user_a, portal_user_b, client_for, api_token_for
) -> None:
    mine, fabrikams = busy_queues[0], busy_queues[6]
    client = client_for(portal_user_a)
    page = client.get(reverse("portal:case_detail", args=[mine.reference]))
    assert page.status_code == 200 and NOTE not in page.content.decode()
    assert client.get(reverse("portal:case_detail", args=[fabrikams.reference])).status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_for(portal_user_a)}")
    own = api.get(f"/api/v1/cases/{mine.reference}")
    assert own.status_code == 200 and NOTE not in own.content.decode()
    assert {m["visibility"] for m in own.json()["conversation"]} == {"public"}
    assert api.get(f"/api/v1/cases/{fabrikams.reference}").status_code == 404
    listed = {c["reference"] for c in api.get("/api/v1/cases").json()["items"]}
    assert fabrikams.reference not in listed and mine.reference in listed
    other = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_for(portal_user_b)}")
    assert other.get(f"/api/v1/cases/{mine.reference}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_api_checks_roles(
    busy_queues, staff_users, portal_user_a, api_token_for, customer_a
) -> None:
    case = busy_queues[3]

    def api(user):
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_for(user)}")

    readonly, support, portal = (
        api(staff_users["readonly"]),
        api(staff_users["support"]),
        api(portal_user_a),
    )
    body = {"body": "note", "visibility": "internal"}
    url = f"/api/v1/cases/{case.reference}/messages"
    assert readonly.post(url, body, content_type="application/json").status_code == 403
    assert portal.post(url, body, content_type="application/json").status_code == 403
    staff_view = support.post(url, body, content_type="application/json")
    assert staff_view.status_code == 201
    assert staff_view.json()["conversation"][-1]["visibility"] == "internal"
    resolve = f"/api/v1/cases/{case.reference}/resolve"
    assert (
        portal.post(resolve, {"resolution": "x"}, content_type="application/json").status_code
        == 403
    )
    assert (
        support.post(resolve, {"resolution": "已处理。"}, content_type="application/json").json()[
            "status"
        ]
        == "resolved"
    )
    assert portal.post(f"/api/v1/cases/{case.reference}/confirm").json()["status"] == "closed"
    opened = portal.post(
        "/api/v1/cases",
        {"subject": "付款未入账", "body": "已付款", "category": "payment"},
        content_type="application/json",
    )
    assert opened.status_code == 201 and opened.json()["customer_tenant_id"] == str(
        customer_a.tenant_id
    )


@pytest.mark.django_db(transaction=True)
def test_cases_list_prints_json(busy_queues, customer_a, capsys) -> None:
    call_command("cases", "list", "--customer", str(customer_a.tenant_id), "--json")
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 6
    assert {"reference", "customer_tenant_id", "subject", "category", "status", "messages"} <= set(
        rows[0]
    )
    assert rows[0]["customer_tenant_id"] == str(customer_a.tenant_id) and rows[0]["messages"] == 1
    call_command("cases", "list", "--status", "waiting_on_customer")
    assert capsys.readouterr().out.count("CASE-") == 1


@pytest.mark.django_db(transaction=True)
def test_sla_warnings_go_once_and_figures_count_per_agent(
    busy_queues, staff_users, settings
) -> None:
    settings.CASES_SLA_WARNING_EMAILS = ["lead@partner.example"]
    staff_users["support"].email = "agent@partner.example"
    staff_users["support"].save()
    later = timezone.now() + dt.timedelta(days=30)
    warned = do_warn_sla(now=later)
    # All but the one waiting on the customer and the one escalated to 21Vianet (their clocks
    # are paused).
    assert len(warned) == 6 and busy_queues[2].reference not in warned
    assert do_warn_sla(now=later) == []  # nothing twice
    mail = OutboundMessage.objects.filter(idempotency_key__startswith="case-sla:").first()
    assert "past its resolution target" in mail.payload["subject"]
    case = busy_queues[0]
    do_resolve_case(case=case, resolution="完成。", actor="agent")
    [row] = sla_figures(month=timezone.localdate())
    assert row["agent"] == "staff-support" and row["resolved"] == 1


@pytest.mark.django_db(transaction=True)
def test_canned_responses_per_language_and_the_case_history(
    busy_queues, staff_users, client_for
) -> None:
    client = client_for(staff_users["support"])
    url = reverse("cases:canned_responses")
    client.post(url, {"name": "Checking", "language": "zh-hans", "body": "我们正在核对。"})
    client.post(url, {"name": "Checking", "language": "fr", "body": "Nous vérifions."})
    client.post(url, {"name": "Checking", "language": "xx", "body": "?"})
    assert client_for(staff_users["readonly"]).post(url, {"name": "n"}).status_code == 403
    page = client.get(reverse("cases:case_detail", args=[busy_queues[0].reference]))
    html = page.content.decode()
    assert "我们正在核对。" in html and "Nous vérifions." not in html  # the case is in Chinese
    assert "case.opened" in html and "case.note_added" in html  # who did what, and when


@pytest.mark.django_db(transaction=True)
def test_the_customer_replies_confirms_and_rates_in_the_portal(
    busy_queues, portal_user_a, client_for
) -> None:
    case = busy_queues[1]  # waiting on the customer
    client = client_for(portal_user_a)
    respond = reverse("portal:case_respond", args=[case.reference])
    client.post(respond, {"action": "reply", "body": "订单号 PO-778"})
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    do_resolve_case(case=case, resolution="已更正。", actor="agent")
    page = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    assert 'id="confirm"' in page and "已解决：请确认" in page
    client.post(respond, {"action": "confirm"})
    client.post(respond, {"action": "rate", "rating": "5"})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.satisfaction == 5
    assert (
        client.post(
            reverse("portal:case_respond", args=[busy_queues[6].reference]), {"action": "confirm"}
        ).status_code
        == 404
    )  # another customer's case
