"""A dispute escalated to 21Vianet holds its amount out of collections; when 21Vianet rejects
it, the hold is lifted and the next daily collections run acts on the customer again."""

from __future__ import annotations

import datetime as dt

import pytest

from cspbilling.collections.services import do_collections_run
from cspbilling.collections.tests.fixtures import clock
from cspbilling.escalations.services import (
    do_escalate_case,
    do_record_rejected,
    do_record_ticket_number,
)

pytestmark = pytest.mark.django_db(transaction=True)

DUE = dt.date(2026, 4, 28)
FINAL = dt.date(2026, 5, 21)  # the default policy's final notice for an invoice due on DUE


def _mine(result, customer) -> list[tuple[str, str]]:
    return sorted((a["stage"], a["action"]) for a in result.actions if a["customer"] == customer.pk)


def test_a_rejected_escalation_lets_the_next_collections_run_act(
    overdue_invoice, default_policy, make_case, customer_a, vianet
):
    invoice = overdue_invoice(DUE, amounts=("1000",), customer=customer_a)
    case = make_case(
        category="dispute",
        disputed_invoice=invoice,
        disputed_amount=invoice.total,
        invoice_lines=list(invoice.lines.all()),
    )
    with clock(FINAL):
        held = do_collections_run(as_of=FINAL, actor="scheduler")
    assert _mine(held, customer_a) == []  # all of it disputed: nothing overdue to collect

    escalation = do_escalate_case(case=case, actor="agent")
    ticket = vianet.file_in_portal(title=escalation.title, description=escalation.description)
    do_record_ticket_number(escalation=escalation, ticket_number=ticket, actor="agent")
    do_record_rejected(escalation=escalation, reason="该费用无误", actor="agent")

    next_day = FINAL + dt.timedelta(days=1)
    with clock(next_day):
        resumed = do_collections_run(as_of=next_day, actor="scheduler")
    actions = _mine(resumed, customer_a)
    assert ("final-notice", "notify") in actions and ("final-notice", "escalate") in actions
    assert all(
        a["invoices"] == [invoice.number] for a in resumed.actions if a["customer"] == customer_a.pk
    )
