"""The scenario table: five customers' invoices walk from their due day (28 April 2026) to day
43, across Golden Week (1-5 May) and the 调休 Saturday (9 May), with payments, a partial payment,
a dispute and a broken promise. Each day: the events, the daily run, one worker cycle (real SMTP,
the Partner Center sandbox over HTTP); then the notices received and the sandbox's subscription
states are compared with the table. Only the clock is mocked."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from email.header import decode_header, make_header

import pytest

from cspbilling.audit.selectors import verify_chain
from cspbilling.collections.models import Action, Episode
from cspbilling.collections.services import (
    do_collections_run,
    do_place_dispute_hold,
    do_record_promise,
    do_release_dispute_hold,
)
from cspbilling.collections.tests.fixtures import clock, pay_by_transfer, worker_cycle
from cspbilling.subscriptions.tests.fixtures import upstream_subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

D = dt.date
DUE = D(2026, 4, 28)

# (day, customer): the notices the customer's mailbox received that day.
EXPECTED_MAIL = {
    (D(2026, 4, 29), "A"): ["reminder"],
    (D(2026, 4, 29), "B"): ["reminder"],
    (D(2026, 4, 29), "C"): ["reminder"],
    (D(2026, 4, 29), "D"): ["reminder"],
    (D(2026, 4, 29), "E"): ["reminder"],
    # 7 business days: not 7 May (Golden Week), 11 May (the 调休 Saturday counts)
    (D(2026, 5, 11), "A"): ["second"],
    (D(2026, 5, 11), "B"): ["second"],
    (D(2026, 5, 11), "C"): ["second"],
    (D(2026, 5, 21), "A"): ["final"],
    (D(2026, 5, 21), "C"): ["final"],
    (D(2026, 5, 21), "E"): ["final"],  # the promise of 20 May was broken: straight to final
    (D(2026, 5, 25), "D"): ["final"],  # the dispute settled against the customer
    (D(2026, 6, 4), "A"): ["suspended"],
    (D(2026, 6, 4), "C"): ["suspended"],
    (D(2026, 6, 4), "D"): ["suspended"],
    (D(2026, 6, 4), "E"): ["suspended"],
    (D(2026, 6, 8), "C"): ["reactivated"],  # paid the rest: reactivated the same day
}
LANGUAGES = {"A": "fr", "B": "en", "C": "en", "D": "en", "E": "en"}


def kind_of(subject: str) -> str:
    s = str(make_header(decode_header(subject))).lower()
    for words, kind in (
        (("payment reminder", "rappel de paiement"), "reminder"),
        (("second notice", "deuxième avis"), "second"),
        (("final notice", "dernier avis"), "final"),
        (("reactivat", "réactiv"), "reactivated"),
        (("suspend",), "suspended"),
    ):
        if any(w in s for w in words):
            return kind
    return subject


def test_the_scenario_table(
    settings,
    pc_settings,
    pc_sandbox,
    smtp_server,
    mirror_from_sandbox,
    overdue_invoice,
    default_policy,
):
    settings.COLLECTIONS_BREAKER_ALLOW = 10  # five customers: the breaker is tested on its own
    people = {}
    for name, language in LANGUAGES.items():
        m = mirror_from_sandbox(language=language, email=f"{name.lower()}@example.cn")
        invoice = overdue_invoice(DUE, amounts=("1000",), customer=m.customer)  # 1,060.00
        people[name] = (m, invoice)

    def pay(name: str, amount: str, day: dt.date) -> None:
        m, _ = people[name]
        pay_by_transfer(m.customer, amount, on=day, reference=f"{name}-{day}")

    events = {
        D(2026, 5, 8): lambda: do_place_dispute_hold(
            invoice=people["D"][1],
            amount=Decimal("1060"),
            source="case",
            source_ref="CASE-D",
            reason="says the October usage is not theirs",
            actor="agent1",
        ),
        D(2026, 5, 10): lambda: do_record_promise(
            customer=people["E"][0].customer,
            amount=Decimal("1060"),
            promised_on=D(2026, 5, 20),
            actor="finance1",
        ),
        D(2026, 5, 12): lambda: pay("C", "500", D(2026, 5, 12)),
        D(2026, 5, 15): lambda: pay("B", "1060", D(2026, 5, 15)),
        D(2026, 5, 25): lambda: do_release_dispute_hold(
            source="case", source_ref="CASE-D", reason="usage confirmed", actor="agent1"
        ),
        D(2026, 6, 8): lambda: pay("C", "560", D(2026, 6, 8)),
    }
    by_address = {f"{n.lower()}@example.cn": n for n in LANGUAGES}
    received: dict[tuple[dt.date, str], list[str]] = defaultdict(list)
    states: dict[tuple[dt.date, str], str] = {}
    seen = 0
    day = DUE
    while day <= D(2026, 6, 10):
        with clock(day, hour=9):
            if day in events:
                events[day]()
            worker_cycle()
        with clock(day, hour=10):
            do_collections_run(as_of=day, actor="scheduler")
            worker_cycle()
            worker_cycle()  # the commands' answers may queue the customer notices
        for mail in smtp_server.received[seen:]:
            who = by_address[mail["X-Test-Rcpt-Tos"]]
            received[(day, who)].append(kind_of(mail["Subject"]))
            if who == "A":
                assert mail["Content-Language"] == "fr"
        seen = len(smtp_server.received)
        for name, (m, _) in people.items():
            states[(day, name)] = upstream_subscription(
                pc_sandbox, m.tenant_id, m.subscription.subscription_id
            )["status"]
        day += dt.timedelta(days=1)

    assert dict(received) == EXPECTED_MAIL
    assert states[(D(2026, 6, 3), "A")] == "active"
    assert states[(D(2026, 6, 4), "A")] == "suspended"
    assert states[(D(2026, 6, 10), "A")] == "suspended"
    assert states[(D(2026, 6, 7), "C")] == "suspended"
    assert states[(D(2026, 6, 8), "C")] == "active"
    assert {states[(D(2026, 6, 10), n)] for n in "BC"} == {"active"}
    assert {states[(D(2026, 6, 10), n)] for n in "DE"} == {"suspended"}
    # The reminders quote the policy version, the amount left after the partial payment.
    c_final = next(
        m
        for m in smtp_server.received
        if m["X-Test-Rcpt-Tos"] == "c@example.cn" and kind_of(m["Subject"]) == "final"
    )
    body = c_final.get_payload(decode=True).decode()
    assert "Standard v1" in body and "560.00 CNY" in body
    # Every action says why; each happened once per episode.
    a_actions = Action.objects.filter(customer=people["A"][0].customer)
    assert sorted(a_actions.values_list("stage__code", "kind", "status")) == [
        ("final-notice", "escalate", "open"),
        ("final-notice", "notify", "done"),
        ("reminder", "notify", "done"),
        ("second-notice", "notify", "done"),
        ("second-notice", "restrict", "done"),
        ("suspension", "suspend", "done"),
    ]
    suspend = a_actions.get(kind="suspend")
    assert suspend.policy_version == "Standard v1" and suspend.amount == Decimal("1060.00")
    assert suspend.invoice_refs == [people["A"][1].number]
    assert not Episode.objects.get(customer=people["B"][0].customer).is_open
    assert verify_chain().ok
