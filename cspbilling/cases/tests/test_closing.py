"""Closing the loop: resolution messages the customer reads, confirm / reopen / rate by signed
link, reply or portal, auto-close, merge, duplicate, spam; disputes hold collections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cspbilling.cases.links import BadLink, make_token, read_token
from cspbilling.cases.models import Case, CaseStatus, CloseReason
from cspbilling.cases.services import (
    CaseError,
    do_auto_close_resolved_cases,
    do_close_case_as,
    do_confirm_resolution,
    do_record_customer_message,
    do_reply_to_case,
    do_resolve_case,
)
from cspbilling.cases.tests.fixtures import case_emails
from cspbilling.collections.models import DisputeHold
from cspbilling.invoicing.services import do_credit_invoice

SHANGHAI = ZoneInfo("Asia/Shanghai")


def assert_customer_was_told(case: Case) -> None:
    """A closed case has a public message saying why, and it was emailed to the customer."""
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    told = case.messages.filter(visibility="public", is_resolution=True)
    assert told.exists(), f"{case.reference} closed ({case.close_reason}) with nothing said"
    emailed = {m.pk for m in case_emails(case)}
    assert {m.outbound_message_id for m in told} & emailed, f"{case.reference}: not emailed"


@pytest.mark.django_db(transaction=True)
def test_resolving_needs_a_message_and_it_arrives_in_the_customers_language(
    make_customer, make_case, smtp_server, deliver_outbox
) -> None:
    customer = make_customer("Fabrikam Lyon", language="fr")
    customer.contacts.create(email="compta@fabrikam.fr", is_primary=True)
    case = make_case(customer=customer, subject="Facture d'octobre")
    with pytest.raises(CaseError, match="empty"):
        do_resolve_case(case=case, resolution=" ", actor="agent")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW
    do_resolve_case(case=case, resolution="La facture est corrigée.", actor="agent")
    deliver_outbox()
    [mail] = smtp_server.received
    assert mail["To"] == "compta@fabrikam.fr" and case.reference in mail["Subject"]
    text = mail.get_payload(decode=True).decode()
    assert "La facture est corrigée." in text
    assert "merci de confirmer" in text and "Notez-la en un clic" in text
    assert "/portal/cases/respond/" in text


@pytest.mark.django_db(transaction=True)
def test_signed_links_confirm_reopen_and_rate_and_cannot_be_forged(make_case) -> None:
    case = make_case()
    do_resolve_case(case=case, resolution="已更正。", actor="agent")
    client = Client()
    rate = reverse(
        "portal:case_action", args=[make_token(reference=case.reference, action="rate", rating=4)]
    )
    assert client.get(rate).status_code == 200
    reopen = reverse(
        "portal:case_action", args=[make_token(reference=case.reference, action="reopen")]
    )
    assert client.get(reopen).status_code == 200  # a scanner's GET changes nothing
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
    client.post(reopen)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.satisfaction == 4 and case.reopen_count == 1
    forged = make_token(reference=case.reference, action="confirm")[:-2] + "xx"
    with pytest.raises(BadLink):
        read_token(forged)
    assert client.get(reverse("portal:case_action", args=[forged])).status_code == 400
    do_resolve_case(case=case, resolution="再次更正。", actor="agent")
    confirm = reverse(
        "portal:case_action", args=[make_token(reference=case.reference, action="confirm")]
    )
    client.post(confirm)
    assert_customer_was_told(case)
    assert Case.objects.get(pk=case.pk).close_reason == CloseReason.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_every_path_to_closed_tells_the_customer(make_case, settings) -> None:
    settings.CASES_TECHNICAL_SUPPORT_EMAIL = "tech@partner.example"
    confirmed, auto, merged, duplicate, spam, target = (make_case() for _ in range(6))
    technical = make_case(category="technical")
    for case in (confirmed, auto):
        do_resolve_case(case=case, resolution="已处理。", actor="agent")
    do_confirm_resolution(case=confirmed, actor="li.wei@contoso.cn", channel="portal")
    later = timezone.now() + dt.timedelta(days=settings.CASES_CONFIRMATION_WINDOW_DAYS, hours=1)
    assert do_auto_close_resolved_cases(now=later) == [auto.reference, technical.reference]
    assert do_auto_close_resolved_cases(now=later) == []  # idempotent
    do_close_case_as(case=merged, reason="merged", into=target, actor="agent")
    do_close_case_as(case=duplicate, reason="duplicate", into=target, actor="agent")
    do_close_case_as(case=spam, reason="spam", actor="agent")
    for case in (confirmed, auto, merged, duplicate, spam, technical):
        assert_customer_was_told(case)
    # Nothing closes silently: every closed case in the database passed the check above.
    assert set(Case.objects.filter(status="closed").values_list("pk", flat=True)) == {
        c.pk for c in (confirmed, auto, merged, duplicate, spam, technical)
    }
    assert "合并" in merged.messages.filter(is_resolution=True).get().body
    notes = target.messages.filter(visibility="internal").order_by("pk")
    assert notes.count() == 2 and merged.reference in notes[0].body
    assert "Our October invoice seems too high" in notes[0].body  # the merged story, kept


@pytest.mark.django_db(transaction=True)
def test_a_dispute_holds_collections_until_its_outcome(make_case, issued_invoice, customer_a):
    invoice = issued_invoice(amounts=("100", "50"), customer=customer_a)
    line = invoice.lines.order_by("pk").first()
    with pytest.raises(CaseError, match="names the invoice"):
        make_case(category="dispute")
    with pytest.raises(CaseError, match="at most 2 decimal places"):
        make_case(category="dispute", disputed_invoice=invoice, disputed_amount=Decimal("5.005"))
    assert not DisputeHold.objects.exists()
    case = make_case(
        category="dispute",
        disputed_invoice=invoice,
        disputed_amount=Decimal("53.00"),
        invoice_lines=[line],
    )
    hold = DisputeHold.objects.get(source="case", source_ref=case.reference)
    assert hold.is_open and hold.amount_minor == 5300
    assert set(case.invoices.all()) == {invoice}
    with pytest.raises(CaseError, match="outcome"):
        do_resolve_case(case=case, resolution="Done", actor="agent")
    note = do_credit_invoice(
        invoice=invoice, reason=case.reference, actor="agent", amounts={line.pk: Decimal("50")}
    )
    do_resolve_case(
        case=case,
        resolution="Nous avons émis un avoir.",
        actor="agent",
        outcome="credit_note",
        credit_note=note,
    )
    hold.refresh_from_db()
    case.refresh_from_db()
    assert not hold.is_open and case.credit_note == note
    # Reopened by the customer: the amount is held again.
    do_record_customer_message(
        case=case, body="Still wrong", author="li.wei@contoso.cn", channel="email", actor="mail"
    )
    assert DisputeHold.objects.filter(source_ref=case.reference, released_at=None).exists()
    do_resolve_case(
        case=case, resolution="维持原收费：这是 10 月的正常用量。", actor="agent", outcome="upheld"
    )
    assert not DisputeHold.objects.filter(source_ref=case.reference, released_at=None).exists()
    [*_, told] = case_emails(case)
    assert "维持原收费" in told.payload["body"]


@pytest.mark.django_db(transaction=True)
def test_the_sla_clock_pauses_while_waiting_and_resumes_across_a_holiday(make_case) -> None:
    """Normal priority: 27 business hours. Opened on 30 September 10:00, waiting from 12:00
    (2 h used); the customer answers on 3 October (National Day): the 25 h left run from
    8 October, 9 October and Saturday 10 October (a 调休 working day): due 16:00 that day."""
    opened = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=opened):
        case = make_case()
    with mock.patch("django.utils.timezone.now", return_value=opened + dt.timedelta(hours=2)):
        do_reply_to_case(case=case, body="请提供订单号。", actor="agent", wait_on_customer=True)
    case.refresh_from_db()
    assert case.business_seconds_used == 7200 and case.resolution_due_at is None
    answered = dt.datetime(2026, 10, 3, 10, 0, tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=answered):
        do_record_customer_message(
            case=case, body="PO-778", author="li.wei@contoso.cn", channel="email", actor="mail"
        )
    case.refresh_from_db()
    assert case.resolution_due_at == dt.datetime(2026, 10, 10, 16, 0, tzinfo=SHANGHAI)
    assert case.first_response_breached is False


@pytest.mark.django_db(transaction=True)
def test_an_email_case_filed_as_a_dispute_holds_collections(
    make_case, issued_invoice, customer_a, staff_users, client_for
) -> None:
    invoice = issued_invoice(amounts=("100",), customer=customer_a)
    case = make_case(channel="email")
    act = reverse("cases:case_act", args=[case.reference])
    client = client_for(staff_users["support"])
    client.post(
        act,
        {"action": "category", "category": "dispute", "invoice": invoice.number, "amount": "30.00"},
    )
    case.refresh_from_db()
    assert case.category == "dispute" and case.disputed_amount_minor == 3000
    assert DisputeHold.objects.get(source_ref=case.reference).is_open
    client.post(act, {"action": "category", "category": "payment"})
    assert not DisputeHold.objects.get(source_ref=case.reference).is_open


@pytest.mark.django_db(transaction=True)
def test_a_triage_case_is_never_answered_until_its_customer_is_known(customer_a) -> None:
    from cspbilling.cases.services import do_identify_customer, do_open_case

    case = do_open_case(
        customer=None,
        subject="?",
        body="Who pays?",
        category="payment",
        channel="email",
        actor="mail",
        contact_email="x@unknown.example",
    )
    with pytest.raises(CaseError, match="triage"):
        do_reply_to_case(case=case, body="Hello", actor="agent")
    do_identify_customer(case=case, customer=customer_a, actor="agent")
    do_reply_to_case(case=case, body="您好", actor="agent")
    assert [m.payload["to"] for m in case_emails(case)] == [["x@unknown.example"]]


@pytest.mark.django_db(transaction=True)
def test_a_merged_case_hands_its_links_to_the_case_that_continues_it(
    make_case, issued_invoice, customer_a
) -> None:
    invoice = issued_invoice(amounts=("100",), customer=customer_a)
    line = invoice.lines.get()
    merged = make_case(invoice_lines=[line])
    target = make_case()
    do_close_case_as(case=merged, reason="merged", into=target, actor="agent")
    assert list(target.invoices.all()) == [invoice] and list(target.invoice_lines.all()) == [line]
    with pytest.raises(CaseError, match="closed"):
        do_close_case_as(case=make_case(), reason="duplicate", into=merged, actor="agent")
