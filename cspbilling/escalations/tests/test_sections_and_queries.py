"""Where staff and the customer see escalations besides the escalations pages: the customer's
page in the console, and the customer's case in the portal (in its language, never our notes
or 21Vianet's words). The hot pages pin their query count with enough rows that a query per
row would fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from cspbilling.escalations import selectors
from cspbilling.escalations.models import Escalation
from cspbilling.escalations.services import (
    do_escalate_case,
    do_record_information_given,
    do_record_ticket_number,
    do_record_upheld,
    do_record_upstream_answer,
    do_withdraw_escalation,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 12


@pytest.fixture
def many_escalations(issued_invoice, make_case, customer_a, customer_b, settings):
    """ROWS escalations of customer_a (one a line; every kind: prepared, filed, answered,
    withdrawn, upheld with a credit note, upheld waiting), and 2 of customer_b."""
    settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval"
    made = []
    for customer, count in ((customer_a, ROWS), (customer_b, 2)):
        invoice = issued_invoice(amounts=("10",) * count, customer=customer)
        for n, line in enumerate(invoice.lines.order_by("pk")):
            case = make_case(customer=customer, subject=f"Line {n}", invoice_lines=[line])
            escalation = do_escalate_case(case=case, actor="agent")
            made.append(escalation)
            if n % 4 == 0:
                continue  # prepared
            ticket = f"2411{customer.pk:02d}{n:06d}"
            do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
            do_record_upstream_answer(escalation=escalation, text=f"答复 {n}", actor="agent")
            if n % 4 == 2:
                settings.ESCALATIONS_CREDIT_NOTE_WHEN = "on_approval" if n % 8 else "on_arrival"
                do_record_upheld(escalation=escalation, promised_credit=Decimal("5"), actor="f")
            elif n % 4 == 3:
                do_withdraw_escalation(escalation=escalation, reason="客户撤回", actor="agent")
    return made


def test_the_list_detail_and_report_pin_their_queries(
    many_escalations, staff_users, client_for, django_assert_max_num_queries
):
    client = client_for(staff_users["readonly"])
    with django_assert_max_num_queries(5):
        page = client.get(reverse("escalations:list") + "?status=").content.decode()
    assert page.count("<tr data-escalation=") == ROWS + 2
    with django_assert_max_num_queries(5):
        page = client.get(reverse("escalations:list") + "?status=credit_to_check")
    answered = Escalation.objects.filter(status="filed").order_by("pk").first()
    for n in range(ROWS):
        do_record_upstream_answer(escalation=answered, text=f"第 {n} 次答复", actor="agent")
    with django_assert_max_num_queries(8):
        page = client.get(reverse("escalations:detail", args=[answered.reference]))
    assert page.content.decode().count("第 ") >= ROWS  # every note shown
    upheld = Escalation.objects.filter(credit_notes__isnull=False).first()
    with django_assert_max_num_queries(8):
        page = client.get(reverse("escalations:detail", args=[upheld.reference])).content.decode()
    assert upheld.credit_notes.get().credit_note.number in page
    with django_assert_max_num_queries(6):
        page = client.get(reverse("escalations:report")).content.decode()
    assert "Other" in page


def test_the_customer_page_shows_its_escalations_in_a_few_queries(
    many_escalations, customer_a, staff_users, client_for, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        rows = selectors.for_customer(customer=customer_a)
        html = render_to_string(
            "escalations/_customer_escalations.html",
            {"customer": customer_a, "customer_escalations": rows},
        )
    assert html.count("<tr data-escalation=") == ROWS
    page = client_for(staff_users["readonly"]).get(
        reverse("web:customer_detail", args=[customer_a.tenant_id])
    )
    section = page.content.decode().split('id="customer-escalations"')[1].split("</section>")[0]
    assert section.count("<tr data-escalation=") == ROWS  # customer_b's are not there
    withdrawn = Escalation.objects.filter(customer=customer_a, status="withdrawn").first()
    assert withdrawn.reference in section and "Withdrawn" in section


@pytest.mark.parametrize(
    "language, said",
    [
        (
            "zh-hans",
            ("升级至世纪互联", "世纪互联正在审核您所争议的费用", "我们的下一次更新将不晚于"),
        ),
        ("en", ("Escalated to 21Vianet", "21Vianet is reviewing the charges", "next update")),
        ("fr", ("Transmis à 21Vianet", "21Vianet examine les montants", "prochain point")),
    ],
)
def test_the_portal_case_page_says_where_the_escalation_stands_and_nothing_internal(
    dispute_case, portal_user_a, portal_user_b, client_for, language, said
):
    case = dispute_case(line=0)
    escalation = do_escalate_case(case=case, actor="agent")
    do_record_ticket_number(escalation=escalation, ticket_number="240801000999", actor="agent")
    do_record_upstream_answer(
        escalation=escalation,
        text="内部：客户的合同编号有误",
        actor="agent",
        requests_information=True,
    )
    do_record_information_given(escalation=escalation, text="已补充合同", actor="agent")
    escalation.refresh_from_db()
    client = client_for(portal_user_a)
    client.post(reverse("set_language"), {"language": language, "next": "/portal/"})
    page = client.get(reverse("portal:case_detail", args=[case.reference])).content.decode()
    section = page.split('id="case-escalations"')[1].split("</section>")[0]
    for text in said:
        assert text in section, (language, text)
    assert escalation.filed_at.astimezone().strftime("%Y-%m-%d") in section
    assert f"{escalation.next_customer_update_at.astimezone():%Y-%m-%d}" in section
    for secret in ("合同编号有误", "已补充合同", "240801000999", escalation.title):
        assert secret not in page
    other = client_for(portal_user_b).get(reverse("portal:case_detail", args=[case.reference]))
    assert other.status_code == 404
