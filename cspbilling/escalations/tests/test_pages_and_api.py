"""Console pages (list with age and next reminder, per-customer history, escalation page with
copy buttons, CSV, report) and the API with role checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cspbilling.api.tests.helpers import get, post
from cspbilling.escalations.models import Escalation, EscalationStatus
from cspbilling.escalations.services import do_escalate_case, do_record_ticket_number

pytestmark = pytest.mark.django_db(transaction=True)


def test_console_escalates_files_and_lists(dispute_case, staff_users, client_for, customer_a):
    case = dispute_case(line=0)
    support = client_for(staff_users["support"])
    case_page = support.get(reverse("cases:case_detail", args=[case.reference])).content.decode()
    assert reverse("escalations:new", args=[case.reference]) in case_page
    new = reverse("escalations:new", args=[case.reference])
    assert support.get(new).status_code == 200
    answer = support.post(new, {"cause": "duplicate_charge", "severity": "moderate"})
    escalation = Escalation.objects.get()
    detail = reverse("escalations:detail", args=[escalation.reference])
    assert answer.status_code == 302 and answer["Location"] == detail
    page = support.get(detail).content.decode()
    for button in ("copy-tenant", "copy-title", "copy-severity", "copy-description"):
        assert f'id="{button}"' in page
    assert "支持请求" in page and 'id="ticket-form"' in page
    # A second attempt on the same line shows the first.
    again = support.post(new, {"cause": "other"})
    assert again["Location"] == detail and Escalation.objects.count() == 1

    csv_file = support.get(reverse("escalations:csv", args=[escalation.reference]))
    assert csv_file["Content-Type"].startswith("text/csv")
    assert b"upstream_line_id" in csv_file.content

    support.post(
        reverse("escalations:act", args=[escalation.reference]),
        {"action": "ticket", "ticket": "240801000123"},
    )
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED
    listing = support.get(reverse("escalations:list")).content.decode()
    assert escalation.reference in listing and "240801000123" in listing
    history = support.get(
        reverse("escalations:list") + f"?customer={customer_a.tenant_id}&status="
    ).content.decode()
    assert escalation.reference in history
    report = support.get(reverse("escalations:report")).content.decode()
    assert "Duplicate charge" in report

    readonly = client_for(staff_users["readonly"])
    assert readonly.get(detail).status_code == 200
    assert readonly.post(reverse("escalations:act", args=[escalation.reference])).status_code == 403
    # Support cannot record 21Vianet's decision (money): finance can.
    act = reverse("escalations:act", args=[escalation.reference])
    support.post(act, {"action": "upheld", "amount": "100"})
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED
    client_for(staff_users["finance"]).post(act, {"action": "upheld", "amount": "100"})
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.UPHELD


def test_api_escalates_with_role_checks(dispute_case, tokens):
    case = dispute_case(line=0)
    path = f"/cases/{case.reference}/escalations"
    assert post(path, tokens["readonly"], {}).status_code == 403
    assert post(path, tokens["portal"], {}).status_code == 403
    made = post(path, tokens["support"], {"cause": "duplicate_charge"})
    assert made.status_code == 201, made.content
    body = made.json()
    reference = body["reference"]
    assert body["status"] == "prepared" and body["disputed_amount"] == "100.00"
    assert str(case.customer.tenant_id) in body["description"]
    again = post(path, tokens["support"], {})
    assert again.status_code == 409 and reference in again.json()["detail"]

    assert get("/escalations", tokens["portal"]).status_code == 403
    listed = get("/escalations", tokens["readonly"], status="open").json()
    assert [e["reference"] for e in listed["items"]] == [reference]

    ticket = post(f"/escalations/{reference}/ticket", tokens["support"], {"ticket_number": "!"})
    assert ticket.status_code == 409
    ticket = post(
        f"/escalations/{reference}/ticket", tokens["support"], {"ticket_number": "240801000777"}
    )
    assert ticket.json()["ticket_number"] == "240801000777"
    answer = post(f"/escalations/{reference}/answers", tokens["support"], {"text": "正在核实。"})
    assert answer.status_code == 201
    outcome = {"outcome": "rejected", "reason": "费用无误"}
    assert post(f"/escalations/{reference}/outcome", tokens["support"], outcome).status_code == 403
    decided = post(f"/escalations/{reference}/outcome", tokens["finance"], outcome)
    assert decided.status_code == 200 and decided.json()["status"] == "closed"


def test_ticket_from_console_is_unique_across_escalations(dispute_case):
    one = do_escalate_case(case=dispute_case(line=0), actor="a")
    two = do_escalate_case(case=dispute_case(line=1), actor="a")
    do_record_ticket_number(escalation=one, ticket_number="240801000999", actor="a")
    with pytest.raises(ValueError, match="belongs to"):
        do_record_ticket_number(escalation=two, ticket_number="240801000999", actor="a")
    assert Decimal(two.disputed_minor) / 100 == Decimal("50.05")


def test_cli_lists_and_records_a_ticket(dispute_case, capsys):
    import json

    from django.core.management import call_command
    from django.core.management.base import CommandError

    escalation = do_escalate_case(case=dispute_case(line=0), actor="a")
    call_command("escalations", "ticket", escalation.reference, "240801000555")
    with pytest.raises(CommandError, match="not a 21Vianet ticket number"):
        call_command("escalations", "ticket", escalation.reference, "?")
    capsys.readouterr()
    call_command("escalations", "list", "--status", "open", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["ticket_number"] == "240801000555" and row["status"] == "filed"
    call_command("escalations", "remind")
    assert json.loads(capsys.readouterr().out) == {"reminders": 0, "customer_updates": 0}


def test_api_withdraws_with_a_reason_and_role_checks(dispute_case, tokens):
    escalation = do_escalate_case(case=dispute_case(line=0), actor="a")
    path = f"/escalations/{escalation.reference}/withdraw"
    assert post(path, tokens["support"], {"reason": "x"}).status_code == 409  # not filed yet
    do_record_ticket_number(escalation=escalation, ticket_number="240801000888", actor="a")
    assert post(path, tokens["readonly"], {"reason": "x"}).status_code == 403
    assert post(path, tokens["portal"], {"reason": "x"}).status_code == 403
    assert post(path, tokens["support"], {"reason": "   "}).status_code == 422
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.FILED
    done = post(path, tokens["support"], {"reason": "客户撤回争议"})
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    escalation.case.refresh_from_db()
    assert escalation.case.status == "open"
