"""Where a mistake cuts off a paying customer: dry runs change nothing, a second run does
nothing, a bounced notice holds the suspension, the breaker trips, the pause switch holds, a
fraud suspension survives a payment, a worker killed after the decision suspends once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from cspbilling.audit.models import AuditEvent
from cspbilling.collections.models import Action, ActionStatus, PauseSwitch
from cspbilling.collections.services import (
    ApprovalError,
    do_collections_run,
    do_decide_approval,
    do_grant_exemption,
    do_place_dispute_hold,
    do_set_pause,
)
from cspbilling.collections.services import run as run_module
from cspbilling.collections.tests.fixtures import clock, pay_by_transfer, run_day, worker_cycle
from cspbilling.invoicing.services import do_credit_invoice
from cspbilling.notifications.models import OutboundMessage
from cspbilling.notifications.services import do_claim_message, do_recover_stalled_messages
from cspbilling.subscriptions.models import Subscription, Suspension, SuspensionStatus
from cspbilling.subscriptions.services import do_suspend_subscription
from cspbilling.subscriptions.tests.fixtures import upstream_subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DUE = dt.date(2026, 4, 28)
FINAL = dt.date(2026, 5, 21)  # the final notice's day for an invoice due on DUE
SUSPEND = dt.date(2026, 6, 4)  # the suspension's day


def row_counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"collections", "notifications", "subscriptions", "audit"}
    } | {"tasks": DBTaskResult.objects.count()}


def sandbox_status(pc_sandbox, m) -> str:
    return upstream_subscription(pc_sandbox, m.tenant_id, m.subscription.subscription_id)["status"]


def _pay(m, amount: str, reference: str) -> None:
    """A bank transfer from the customer of `m`, received on the suspension's day."""
    pay_by_transfer(m.customer, amount, on=SUSPEND, reference=reference)


def test_a_dry_run_changes_nothing_and_a_second_run_the_same_day_does_nothing(
    pc_settings, smtp_server, overdue_customer
):
    m, invoice = overdue_customer(DUE)
    with clock(FINAL):
        before = row_counts()
        planned = do_collections_run(as_of=FINAL, actor="finance1", dry_run=True)
        assert row_counts() == before
    assert planned.dry_run and sorted(
        (a["stage"], a["action"], a["status"]) for a in planned.actions
    ) == [
        ("final-notice", "escalate", "open"),
        ("final-notice", "notify", "done"),
        ("reminder", "notify", "skipped"),  # superseded: one notice, the latest
        ("second-notice", "notify", "skipped"),
        ("second-notice", "restrict", "done"),
    ]
    assert planned.actions[0]["invoices"] == [invoice.number]
    assert planned.actions[0]["policy_version"] == "Standard v1"
    done = run_day(FINAL)
    assert [(a["stage"], a["action"]) for a in done.actions] == [
        (a["stage"], a["action"]) for a in planned.actions
    ]
    # One audit event for the customer, listing the run's actions, each with why.
    [event] = AuditEvent.objects.filter(action="collections.action")
    assert event.object_id == str(m.customer.pk) and event.context["as_of"] == FINAL.isoformat()
    assert [(a["stage"], a["action"], a["status"]) for a in event.after["actions"]] == [
        (a["stage"], a["action"], a["status"]) for a in done.actions
    ]
    assert event.after["actions"][0]["reason"].startswith("superseded by the later notice")
    with clock(FINAL, hour=15):
        after = row_counts()
        again = do_collections_run(as_of=FINAL, actor="finance1")
    assert again.actions == []
    changed = {k for k, v in row_counts().items() if v != after[k]}
    assert changed == {"collections.CollectionsRun"}  # the run's own record, nothing else
    assert len(smtp_server.received) == 1


def test_two_runs_at_once_on_a_new_installation_decide_once(
    pc_settings, smtp_server, overdue_customer
):
    """The scheduler's run and a person's, started together before the pause switch's row
    exists: one decides, the other waits for it and finds nothing left to do."""
    overdue_customer(DUE)
    PauseSwitch.objects.all().delete()
    start = threading.Barrier(2)
    totals: list[int] = []
    errors: list[Exception] = []

    def run(actor: str) -> None:
        start.wait()
        try:
            totals.append(do_collections_run(as_of=FINAL, actor=actor).total)
        except Exception as exc:  # noqa: BLE001 (the assertion below names it)
            errors.append(exc)
        finally:
            connection.close()

    with clock(FINAL):
        threads = [threading.Thread(target=run, args=(who,)) for who in ("scheduler", "finance1")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(totals) == [0, 5]
    assert Action.objects.count() == 5 and PauseSwitch.objects.count() == 1
    assert OutboundMessage.objects.filter(idempotency_key__startswith="collections:").count() == 1


def test_a_suspension_held_for_the_notice_its_own_run_queued_is_not_decided_again_that_day(
    pc_settings, smtp_server, overdue_customer
):
    """First seen on the suspension's day: the run queues the notice and holds the suspension
    until it is delivered; a second run that day (the notice still queued) writes nothing."""
    overdue_customer(DUE)
    with clock(SUSPEND):
        first = do_collections_run(as_of=SUSPEND, actor="scheduler")
        held = [a for a in first.actions if a["action"] == "suspend"]
        assert [a["status"] for a in held] == ["held"]
        assert f"suspension is possible from {SUSPEND + dt.timedelta(days=7)}" in held[0]["reason"]
        after = row_counts()
        again = do_collections_run(as_of=SUSPEND, actor="scheduler")
    assert again.actions == []
    assert {k for k, v in row_counts().items() if v != after[k]} == {"collections.CollectionsRun"}


def test_a_held_suspension_waits_for_its_notice_then_for_the_days_promised_then_suspends(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    """The run queues the final notice and holds the suspension; nothing is decided while the
    notice is on its way; delivered the next day, the suspension waits the policy's 7 days (the
    timeline shows the day) and happens on that day, not before."""
    from cspbilling.collections.outlook import customer_timeline

    m, _ = overdue_customer(DUE)
    run_day(SUSPEND, cycles=0)  # no worker that day: the notice stays queued
    held = Action.objects.get(customer=m.customer, kind="suspend")
    assert held.status == ActionStatus.HELD and held.waiting_for_id is not None
    assert held.possible_from == SUSPEND + dt.timedelta(days=7)  # at the earliest
    delivered_on = SUSPEND + dt.timedelta(days=1)
    with clock(delivered_on, hour=9):
        worker_cycle()  # the notice leaves the next morning
    assert len(smtp_server.received) == 1
    first = run_day(delivered_on)
    [suspend] = [a for a in first.actions if a["action"] == "suspend"]
    ready = delivered_on + dt.timedelta(days=7)
    assert suspend["status"] == "held"
    assert f"delivered on {delivered_on}" in suspend["reason"]
    assert f"possible from {ready}" in suspend["reason"]
    again = Action.objects.get(pk=held.pk)  # the held action, decided again and written
    assert (again.possible_from, again.waiting_for_id) == (ready, None)
    assert again.reason == suspend["reason"] and again.as_of == delivered_on
    with clock(delivered_on + dt.timedelta(days=1)):
        future = [
            e
            for e in customer_timeline(m.customer, today=delivered_on + dt.timedelta(days=1))
            if e.future and e.kind == "stage"
        ]
    assert [(e.day, e.what) for e in future] == [
        (ready, "Suspension of the subscriptions (if nothing is paid)")
    ]
    for day in range(1, 7):
        assert run_day(delivered_on + dt.timedelta(days=day)).actions == []
    assert sandbox_status(pc_sandbox, m) == "active"
    result = run_day(ready)
    assert [(a["action"], a["status"]) for a in result.actions] == [("suspend", "done")]
    assert sandbox_status(pc_sandbox, m) == "suspended"


def test_a_bounced_notice_holds_the_suspension_and_staff_see_why(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    bounced, _ = overdue_customer(DUE, email="gone@example.cn")
    fine, _ = overdue_customer(DUE, email="here@example.cn")
    smtp_server.handler.rcpt_replies.append("550 5.1.1 no such mailbox")
    run_day(FINAL)  # the first notice's RCPT gets the 550 (messages go out in id order)
    notices = OutboundMessage.objects.filter(idempotency_key__startswith="collections:")
    notices = notices.order_by("id")
    assert [n.status for n in notices] == ["failed", "delivered"]
    result = run_day(SUSPEND)
    held = Action.objects.get(customer=bounced.customer, kind="suspend")
    assert held.status == ActionStatus.HELD
    assert "final-notice" in held.reason and "failed, not delivered" in held.reason
    assert "550" in held.reason
    assert sandbox_status(pc_sandbox, bounced) == "active"
    assert sandbox_status(pc_sandbox, fine) == "suspended"
    assert {(a["customer"], a["status"]) for a in result.actions} == {
        (bounced.customer.pk, "held"),
        (fine.customer.pk, "done"),
    }
    # Held, not settled: the next run decides again, and holds again while nothing changed
    # (without writing: no new event, nothing reported).
    events = AuditEvent.objects.count()
    later = run_day(SUSPEND + dt.timedelta(days=1))
    assert later.actions == [] and AuditEvent.objects.count() == events
    assert Action.objects.get(pk=held.pk).status == ActionStatus.HELD


@pytest.mark.parametrize("chunk", [2000, 1], ids=["one-chunk", "a-chunk-per-customer"])
def test_the_breaker_trips_on_a_run_that_would_suspend_half_the_customers(
    settings,
    pc_settings,
    pc_sandbox,
    smtp_server,
    overdue_customer,
    mirror_from_sandbox,
    monkeypatch,
    chunk,
):
    # Decided a chunk of customers at a time, the suspensions are still counted all together.
    monkeypatch.setattr(run_module, "CHUNK", chunk)
    settings.COLLECTIONS_BREAKER_ALLOW = 0
    settings.STAFF_ALERT_EMAILS = ["collections@partner.example"]
    late = [overdue_customer(DUE)[0] for _ in range(2)]
    paying = [mirror_from_sandbox() for _ in range(2)]
    run_day(FINAL)
    result = run_day(SUSPEND)
    assert "would suspend 2 of 4 customers" in result.breaker
    assert Suspension.objects.count() == 0
    assert {sandbox_status(pc_sandbox, m) for m in late + paying} == {"active"}
    held = Action.objects.filter(kind="suspend")
    assert {a.status for a in held} == {"held"}
    assert all(a.reason.startswith("circuit breaker: ") for a in held)
    alert = smtp_server.received[-1]
    assert alert["X-Test-Rcpt-Tos"] == "collections@partner.example"
    assert AuditEvent.objects.filter(action="collections.breaker_tripped").count() == 1


def test_the_pause_switch_holds_suspensions_but_not_notices(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    m, _ = overdue_customer(DUE)
    run_day(FINAL)
    with clock(FINAL):
        do_set_pause(paused=True, reason="bank outage: payments not booked", actor="cfo")
    result = run_day(SUSPEND)
    assert [(a["action"], a["status"]) for a in result.actions] == [("suspend", "held")]
    assert "paused" in result.actions[0]["reason"]
    assert sandbox_status(pc_sandbox, m) == "active"
    with clock(SUSPEND):
        do_set_pause(paused=False, reason="", actor="cfo")
    run_day(SUSPEND + dt.timedelta(days=1))
    assert sandbox_status(pc_sandbox, m) == "suspended"


def test_an_exemption_holds_everything_until_it_expires(smtp_server, overdue_customer):
    m, _ = overdue_customer(DUE)
    with clock(FINAL):
        do_grant_exemption(customer=m.customer, reason="merger", expires_on=FINAL, actor="cfo")
    assert run_day(FINAL).actions == []
    assert len(run_day(FINAL + dt.timedelta(days=1)).actions) == 5


def test_an_approval_shows_its_evidence_and_suspends_when_approved(
    pc_settings, pc_sandbox, smtp_server, overdue_customer, default_policy
):
    default_policy.stages.filter(code="suspension").update(suspend="approval")
    m, invoice = overdue_customer(DUE)
    run_day(FINAL)
    run_day(SUSPEND)
    waiting = Action.objects.get(kind="suspend")
    assert waiting.status == ActionStatus.AWAITING_APPROVAL
    assert (waiting.invoice_refs, waiting.amount) == ([invoice.number], Decimal("1060.00"))
    assert sandbox_status(pc_sandbox, m) == "active"
    with clock(SUSPEND, hour=11):
        do_decide_approval(action=waiting, approve=True, actor="cfo", note="called, no answer")
        worker_cycle()
        worker_cycle()
    assert sandbox_status(pc_sandbox, m) == "suspended"
    suspension = Suspension.objects.get()
    assert (suspension.policy_version, suspension.stage) == ("Standard v1", "suspension")


def test_an_approval_after_a_payment_below_the_stages_minimum_suspends_nobody(
    pc_settings, pc_sandbox, smtp_server, overdue_customer, default_policy
):
    """The suspension stage asks for 500.00 overdue; the customer owed 1,060.00 when the run
    put the suspension up for approval, then paid 700.00: approving it is refused, says why,
    and changes nothing."""
    default_policy.stages.filter(code="suspension").update(
        suspend="approval", min_overdue_minor=50000
    )
    m, _ = overdue_customer(DUE)
    run_day(FINAL)
    run_day(SUSPEND)
    waiting = Action.objects.get(kind="suspend")
    assert waiting.status == ActionStatus.AWAITING_APPROVAL
    with clock(SUSPEND, hour=11):
        _pay(m, "700", "part")
        with pytest.raises(ApprovalError, match="nothing to suspend: out of the suspension"):
            do_decide_approval(action=waiting, approve=True, actor="cfo", note="approve")
        worker_cycle()
    waiting.refresh_from_db()
    assert waiting.status == ActionStatus.AWAITING_APPROVAL and waiting.suspension_ids == []
    assert not Suspension.objects.exists()
    assert sandbox_status(pc_sandbox, m) == "active"


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"waited 20 s for {what}"
        time.sleep(0.02)


def _credit_all(invoice) -> None:
    do_credit_invoice(
        invoice=invoice, reason="goodwill: the whole invoice", actor="finance1", on=SUSPEND
    )


def _dispute_all(invoice) -> None:
    do_place_dispute_hold(
        invoice=invoice,
        amount=Decimal("1060"),
        source="case",
        source_ref="CASE-7",
        reason="says the usage is not theirs",
        actor="agent1",
    )


LEAVING = {  # each way a customer leaves the suspension condition, given (mirror, invoice)
    "payment": lambda m, invoice: _pay(m, "1060", "paid-all"),
    "credit-note": lambda m, invoice: _credit_all(invoice),
    "dispute": lambda m, invoice: _dispute_all(invoice),
}


@pytest.mark.parametrize("how", list(LEAVING))
@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
def test_a_customer_out_of_the_condition_while_the_run_suspends_it_ends_reinstated(
    pc_settings, pc_sandbox, smtp_server, overdue_customer, dry_run, how
):
    """The run has read what the customer owes and is about to suspend it when the customer
    pays in full, or staff credit the whole invoice, or a case disputes all of it. On
    PostgreSQL the run is held at that point (another connection holds the subscription's row)
    while that is recorded: whichever commits first, the customer ends with its subscription
    active (SQLite runs one writer at a time: the two in turn). A dry run keeps nobody
    waiting."""
    m, invoice = overdue_customer(DUE)
    run_day(FINAL)  # the final notice, delivered
    postgresql = connection.vendor == "postgresql"
    blocker = connections.create_connection("default")
    outcomes: list[str] = []

    def in_thread(name: str, work) -> threading.Thread:
        def target() -> None:
            try:
                work()
                outcomes.append(name)
            except Exception as exc:  # noqa: BLE001 (the assertion below names it)
                outcomes.append(f"{name} failed: {exc!r}")
            finally:
                connection.close()

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    with clock(SUSPEND):
        if postgresql:
            blocker.set_autocommit(False)
            with blocker.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Subscription._meta.db_table} WHERE id = %s FOR UPDATE",
                    [m.subscription.pk],
                )
        run = in_thread(
            "run", lambda: do_collections_run(as_of=SUSPEND, actor="scheduler", dry_run=dry_run)
        )
        if postgresql:
            _until(lambda: _waiting_on_locks() == 1, "the run to wait for the subscription")
        paying = in_thread(how, lambda: LEAVING[how](m, invoice))
        if postgresql:  # it waits for the run (the customer is locked), or is done
            _until(lambda: _waiting_on_locks() == 2 or not paying.is_alive(), "the payment")
            assert paying.is_alive() is not dry_run  # waiting for the run to commit, or done
            blocker.rollback()
        run.join()
        paying.join()
        blocker.close()
        worker_cycle()
        worker_cycle()
    assert sorted(outcomes) == sorted([how, "run"])
    assert sandbox_status(pc_sandbox, m) == "active"
    assert not Suspension.objects.filter(status=SuspensionStatus.SUSPENDED).exists()


def test_a_fraud_suspension_survives_a_full_payment(
    pc_settings, pc_sandbox, smtp_server, overdue_customer, deliver_commands
):
    m, _ = overdue_customer(DUE)
    with clock(DUE):
        do_suspend_subscription(
            subscription=m.subscription, reason="fraud", actor="security1", note="stolen card"
        )
        deliver_commands()
    run_day(SUSPEND)
    with clock(SUSPEND, hour=12):
        _pay(m, "1060", "paid-all")
        worker_cycle()
        worker_cycle()
    assert sandbox_status(pc_sandbox, m) == "suspended"
    [suspension] = Suspension.objects.all()
    assert (suspension.reason, suspension.status) == ("fraud", SuspensionStatus.SUSPENDED)


def test_a_worker_killed_between_the_decision_and_partner_center_suspends_once(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    m, _ = overdue_customer(DUE)
    run_day(FINAL)
    with clock(SUSPEND):
        do_collections_run(as_of=SUSPEND, actor="scheduler")  # decided and committed
        command = OutboundMessage.objects.get(kind="partner_center")
        assert do_claim_message(message_id=command.pk, worker_id="killed") is not None
        # ... and the worker that claimed it dies here, before calling Partner Center.
    with clock(SUSPEND, hour=11):  # after the lease ran out, another worker recovers it
        do_recover_stalled_messages()
        worker_cycle()
        worker_cycle()
    run_day(SUSPEND + dt.timedelta(days=1))
    assert sandbox_status(pc_sandbox, m) == "suspended"
    assert Suspension.objects.filter(status=SuspensionStatus.SUSPENDED).count() == 1
    assert OutboundMessage.objects.filter(kind="partner_center").count() == 1
    suspended_mails = [
        s for s in smtp_server.received if s["Subject"].startswith("Your subscription is suspend")
    ]
    assert len(suspended_mails) == 1


def test_a_dispute_of_everything_owed_reinstates_a_customer_collections_suspended(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    m, invoice = overdue_customer(DUE)
    run_day(FINAL)
    run_day(SUSPEND)
    assert sandbox_status(pc_sandbox, m) == "suspended"
    with clock(SUSPEND + dt.timedelta(days=2)):
        _dispute_all(invoice)
        worker_cycle()
        worker_cycle()
    assert sandbox_status(pc_sandbox, m) == "active"
    assert AuditEvent.objects.filter(action="collections.reinstated").count() == 1


def test_a_payment_made_while_partner_center_had_not_confirmed_is_reinstated_by_the_next_run(
    pc_settings, pc_sandbox, smtp_server, overdue_customer
):
    """5xx from the sandbox delay the suspension (never duplicate it); the payment's re-evaluation
    finds it still unconfirmed; the next daily run reinstates."""
    from cspbilling.subscriptions.tests.fixtures import sandbox_control

    m, _ = overdue_customer(DUE)
    run_day(FINAL)
    sandbox_control(
        pc_sandbox,
        "POST",
        "/_sandbox/faults",
        {"script": [{"path_prefix": "/v1/customers", "times": 4, "status": 503}]},
    )
    with clock(SUSPEND):
        do_collections_run(as_of=SUSPEND, actor="scheduler")
        _pay(m, "1060", "just in time")
        worker_cycle()  # the command fails (503) and waits; the re-evaluation finds it requested
    assert Suspension.objects.get().status == SuspensionStatus.REQUESTED
    sandbox_control(pc_sandbox, "DELETE", "/_sandbox/faults")
    with clock(SUSPEND, hour=14):  # the retry is due
        worker_cycle()
        worker_cycle()
    assert sandbox_status(pc_sandbox, m) == "suspended"
    command = OutboundMessage.objects.get(kind="partner_center")
    assert command.attempts >= 2 and command.status == "delivered"
    result = run_day(SUSPEND + dt.timedelta(days=1))
    assert len(result.reinstated) == 1
    assert sandbox_status(pc_sandbox, m) == "active"
    assert Suspension.objects.count() == 1


def test_a_notice_held_for_want_of_an_address_is_superseded_by_the_next_stages_notice(
    pc_settings, smtp_server, overdue_customer
):
    """The notices a catch-up supersedes are skipped in SQL; one held earlier (no address) and
    superseded later is decided again in Python: both say which notice superseded them, the
    customer receives one notice, and the audit event states the amount and invoices once."""
    from cspbilling.collections.models import Stage
    from cspbilling.collections.schedule import stage_day
    from cspbilling.customers.models import BillingContact
    from cspbilling.workdays.calendar import china_calendar

    m, invoice = overdue_customer(DUE, email="ap@example.cn")
    contacts = list(BillingContact.objects.filter(customer=m.customer).values())
    BillingContact.objects.filter(customer=m.customer).delete()
    second = Stage.objects.get(code="second-notice")
    second_day = stage_day(DUE, second, china_calendar())
    first = run_day(second_day)
    assert sorted((a["stage"], a["action"], a["status"]) for a in first.actions) == [
        ("reminder", "notify", "skipped"),
        ("second-notice", "notify", "held"),
        ("second-notice", "restrict", "done"),
    ]
    [reminder] = [a for a in first.actions if a["stage"] == "reminder"]
    assert reminder["reason"] == "superseded by the later notice of stage second-notice"
    assert smtp_server.received == []
    BillingContact.objects.bulk_create(BillingContact(**row) for row in contacts)
    final = run_day(FINAL)
    assert sorted((a["stage"], a["action"], a["status"]) for a in final.actions) == [
        ("final-notice", "escalate", "open"),
        ("final-notice", "notify", "done"),
        ("second-notice", "notify", "skipped"),
    ]
    held_before = Action.objects.get(customer=m.customer, stage=second, kind="notify")
    assert held_before.status == ActionStatus.SKIPPED
    assert held_before.reason == "superseded by the later notice of stage final-notice"
    assert held_before.as_of == FINAL and held_before.invoice_refs == [invoice.number]
    assert len(smtp_server.received) == 1
    event = AuditEvent.objects.filter(action="collections.action").latest("id")
    assert (event.after["invoices"], event.after["amount"]) == ([invoice.number], "1060.00")
    assert event.after["policy_version"] == "Standard v1"
    assert [(a["stage"], a["action"]) for a in event.after["actions"]] == [
        ("second-notice", "notify"),
        ("final-notice", "escalate"),
        ("final-notice", "notify"),
    ]
