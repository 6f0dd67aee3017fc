"""The daily collections run: decide in SQL (decisions.py), then take each newly reached stage's
actions once per overdue episode, each with why, in one transaction (a dry run rolls it back).

Suspensions go through subscriptions' `suspend_subscription` step in this transaction (the
Partner Center command is an outbox row); they happen only with proof of notice, not while the
global switch is paused, and not when the circuit breaker trips.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import batched, groupby
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.db.models import Expression
from django.utils import timezone

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_events
from cspbilling.collections import decisions
from cspbilling.collections.locks import lock_collections_switch
from cspbilling.collections.models import (
    Action,
    ActionKind,
    ActionStatus,
    CollectionsRun,
    PolicyVersion,
    Stage,
    SuspendMode,
)
from cspbilling.collections.notices import (
    Addressee,
    addressees,
    render_stage_notice,
    stage_notice_email,
)
from cspbilling.collections.schedule import stage_day
from cspbilling.collections.selectors import default_version
from cspbilling.collections.services import staging
from cspbilling.collections.services.reinstatement import (
    in_suspension_condition,
    reinstate_if_cleared,
)
from cspbilling.collections.services.suspending import (
    SuspensionPlan,
    apply_breaker,
    awaiting_delivery,
    notices_by_episode,
    proof_of_notice_wait,
    suspend_customer,
)
from cspbilling.core.bulk import copy_rows, fewer_collections, json_text, update_rows
from cspbilling.core.money import from_minor_units
from cspbilling.core.services import transaction_step
from cspbilling.customers.locks import lock_customers_selected
from cspbilling.customers.models import BillingContact
from cspbilling.notifications.services import EmailToQueue, queue_emails
from cspbilling.subscriptions.models import Suspension, SuspensionReason, SuspensionStatus
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar


@dataclass
class RunResult:
    """What a run did: every action counted; described (customer, stage, why...) up to `keep`
    of them (None: all), so a run over a large book need not hold them all."""

    as_of: dt.date
    dry_run: bool
    keep: int | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    closed_episodes: int = 0
    breaker: str = ""
    paused: bool = False
    reinstated: list[int] = field(default_factory=list)

    def count(self, kinds_and_statuses: Iterable[tuple[str, str]]) -> None:
        """Count actions, each given as (kind, status)."""
        for (kind, status), n in Counter(kinds_and_statuses).items():
            self.total += n
            self.counts[f"{kind}:{status}"] += n

    @property
    def describing(self) -> bool:
        """Whether the next action is among those described (`actions`)."""
        return self.keep is None or len(self.actions) < self.keep

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "paused": self.paused,
            "breaker": self.breaker or None,
            "closed_episodes": self.closed_episodes,
            "reinstated_suspensions": self.reinstated,
            "total": self.total,
            "counts": dict(sorted(self.counts.items())),
            "actions": self.actions,
        }


@dataclass
class Context:
    as_of: dt.date
    actor: str
    calendar: ChinaCalendar
    stages: dict[int, Stage]
    versions: dict[int, PolicyVersion]
    overdue: dict[int, decisions.Overdue]
    invoices: dict[int, list[str]]
    contacts: dict[int, list[str]]
    addressees: dict[int, Addressee]
    notices: list[tuple[Action, EmailToQueue]] = field(default_factory=list)
    next_days: dict[tuple[int, dt.date], dt.date | None] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)  # each version's, made once

    def __post_init__(self) -> None:
        self.labels = {pk: version.label for pk, version in self.versions.items()}

    def stage_at(self, version_id: int, position: int) -> Stage:
        return next(
            s for s in self.stages.values() if s.version_id == version_id and s.position == position
        )

    def next_stage_day(self, stage: Stage, oldest_due: dt.date) -> dt.date | None:
        key = (stage.pk, oldest_due)  # thousands of customers share a due day
        if key not in self.next_days:
            later = [s for s in self.stages.values() if s.version_id == stage.version_id]
            later = sorted(
                (s for s in later if s.position > stage.position), key=lambda s: s.position
            )
            self.next_days[key] = stage_day(oldest_due, later[0], self.calendar) if later else None
        return self.next_days[key]


def _notify(ctx: Context, action: Action, stage: Stage) -> None:
    owed = ctx.overdue[action.customer_id]
    language, subject, body = render_stage_notice(
        stage=stage,
        version=ctx.versions[stage.version_id],
        addressee=ctx.addressees[action.customer_id],
        amount_minor=owed.amount_minor,
        currency=owed.currency,
        invoices=action.invoice_refs,
        oldest_due=owed.oldest_due,
        next_step_day=ctx.next_stage_day(stage, owed.oldest_due),
        also_owed=owed.also,
    )
    key = f"collections:{action.customer_id}:{action.episode_id}:{stage.pk}:notify"
    email, problem = stage_notice_email(
        to=ctx.contacts.get(action.customer_id, []),
        key=key,
        language=language,
        subject=subject,
        body=body,
        customer_id=action.customer_id,
    )
    if email is not None:
        ctx.notices.append((action, email))  # queued with the others once all are decided
    action.status = ActionStatus.DONE if email else ActionStatus.HELD
    action.reason = problem


def _queue_notices(ctx: Context) -> None:
    """Every notice of the run into the outbox at once; each action learns its message."""
    if not ctx.notices:
        return
    ids = queue_emails(emails=[email for _, email in ctx.notices], actor=ctx.actor)
    for action, email in ctx.notices:
        action.message_id = ids[email.idempotency_key]


@dataclass(slots=True)
class NewAction:
    """An action decided in this run and not written yet: the attributes the run's steps read
    and set (as on `Action`), without a model object's cost (tens of thousands in a run)."""

    customer_id: int
    episode_id: int
    stage: Stage
    kind: str
    policy_version: str
    invoice_refs: list[str]
    amount_minor: int
    currency: str
    oldest_due_on: dt.date
    acknowledged: bool
    as_of: dt.date
    status: str = ActionStatus.DONE
    reason: str = ""
    message_id: int | None = None
    suspension_ids: list[int] = field(default_factory=list)
    decided_at: dt.datetime | None = None
    possible_from: dt.date | None = None
    waiting_notice: Any = None  # a held suspension's notice: its message is `waiting_for`
    pk: int | None = None  # None: not in the database yet; else held earlier, decided again
    before: tuple[str, str] | None = None  # held earlier: its (status, reason) then

    @property
    def stage_id(self) -> int:
        return self.stage.pk


def _new_action(ctx: Context, p: decisions.Pending, episode_id: int) -> NewAction:
    owed = ctx.overdue[p.customer_id]
    return NewAction(
        customer_id=p.customer_id,
        episode_id=episode_id,
        stage=ctx.stages[p.stage_id],  # reasons read its code
        kind=p.kind,
        policy_version=ctx.labels[p.version_id],
        invoice_refs=ctx.invoices.get(p.customer_id, []),
        amount_minor=owed.amount_minor,
        currency=owed.currency,
        oldest_due_on=owed.oldest_due,
        acknowledged=p.acknowledged,
        as_of=ctx.as_of,
    )


def _action_for(ctx: Context, p: decisions.Pending) -> NewAction:
    """A new action, or the one held earlier in this episode (`p.held_id`) brought up to date
    and decided afresh (an UPDATE, and no event if it is held again for the same reason)."""
    action = _new_action(ctx, p, p.episode_id)
    if p.held_id is not None:
        action.pk, action.before = p.held_id, (p.held_status, p.held_reason)
    return action


def _decide(ctx: Context, pending: list[decisions.Pending]):
    """Each pending action left to Python decided (`staging` took the plain ones); returns
    (actions, suspension plans)."""
    # The notices already sent in the episodes where a suspension is decided without a notice
    # of this run before it (one this run sends is the proof awaited; see below).
    notifying = {p.customer_id for p in pending if p.kind == ActionKind.NOTIFY}
    reading = [
        p.customer_id
        for p in pending
        if p.kind == ActionKind.SUSPEND and p.customer_id not in notifying
    ]
    within = (min(reading), max(reading)) if reading else None
    notices = (
        notices_by_episode(staging.suspending_episodes(*within), within=within) if within else {}
    )  # (those of the chunk's other suspensions too: one query, not lists of episodes)
    by_customer: dict[int, list[decisions.Pending]] = defaultdict(list)
    for p in pending:
        by_customer[p.customer_id].append(p)
    actions, plans = [], []
    zone = timezone.get_current_timezone()
    for cid, items in by_customer.items():  # each in stage order (staging.to_decide)
        decided: list[Action | NewAction] = []  # this customer's, this run
        for p in items:
            stage = ctx.stages[p.stage_id]
            action = _action_for(ctx, p)
            if p.kind == ActionKind.NOTIFY:
                if p.position != p.last_notice_position:  # held earlier, superseded now
                    action.status = ActionStatus.SKIPPED
                    later = ctx.stage_at(stage.version_id, p.last_notice_position).code
                    action.reason = f"superseded by the later notice of stage {later}"
                else:
                    _notify(ctx, action, stage)
            elif p.kind == ActionKind.ESCALATE:
                action.status = ActionStatus.OPEN
            elif p.kind == ActionKind.SUSPEND:
                version = ctx.versions[p.version_id]
                sent_now = [
                    a for a in decided if a.kind == "notify" and a.status == ActionStatus.DONE
                ]
                wait = (
                    awaiting_delivery(sent_now[-1], version=version)
                    if sent_now
                    else proof_of_notice_wait(
                        action,
                        stage=stage,
                        version=version,
                        as_of=ctx.as_of,
                        episode_notices=notices.get(action.episode_id, [])
                        if cid not in notifying
                        else None,  # its notice of this run was not sent: read the earlier ones
                        zone=zone,
                    )
                )
                action.possible_from = wait.possible_from if wait else None
                action.waiting_notice = wait.waiting_for if wait else None
                if wait:
                    action.status, action.reason = ActionStatus.HELD, wait.reason
                elif stage.suspend == SuspendMode.APPROVAL:
                    action.status = ActionStatus.AWAITING_APPROVAL
                    action.reason = "waiting for a person to approve the suspension"
                else:
                    plans.append(SuspensionPlan(action=action, stage=stage))
            decided.append(action)
        actions += decided
    return actions, plans


@lru_cache(maxsize=65536)
def _amount_text(amount_minor: int, currency: str) -> str:
    """A customer's actions of a run share one amount: its text made once."""
    return str(from_minor_units(amount_minor, currency))


def _describe(
    ctx: Context,
    customer_id: int,
    stage: Stage,
    kind: str,
    status: str,
    reason: str,
    acknowledged: bool,
    suspensions: list[int],
) -> dict[str, Any]:
    """An action as the run's result and its audit event state it (the customer's amount and
    invoices as the run read them, which is what the action records)."""
    return {
        "customer": customer_id,
        "stage": stage.code,
        "action": str(kind),
        "status": str(status),
        "reason": reason,
        **_owed_of(ctx, customer_id, stage, acknowledged),
        "suspensions": suspensions,
    }


NEW_ACTION_COLUMNS = (
    "customer_id", "episode_id", "stage_id", "kind", "status", "reason", "policy_version",
    "invoice_refs", "amount_minor", "currency", "oldest_due_on", "acknowledged", "as_of",
    "message_id", "suspension_ids", "possible_from", "waiting_for_id", "created_at",
    "decided_at",
)  # fmt: skip


UPDATED_COLUMNS = (
    "status",
    "reason",
    "invoice_refs",
    "amount_minor",
    "currency",
    "oldest_due_on",
    "as_of",
    "message_id",
    "suspension_ids",
    "possible_from",
    "waiting_for_id",
    "decided_at",
)  # fmt: skip  (an action held earlier, decided again)


def _waiting_for(action: Action | NewAction) -> int | None:
    """The outbox message a held suspension waits on (its notice's, queued by now)."""
    notice = getattr(action, "waiting_notice", None)
    return notice.message_id if notice is not None else None


def _save(actions: list[Action | NewAction], now: dt.datetime) -> None:
    """New actions as prepared rows (COPY on PostgreSQL); the ones held earlier updated."""
    ops = connection.ops
    moment = ops.adapt_datetimefield_value(now)
    day = lru_cache(maxsize=None)(ops.adapt_datefield_value)
    texts: dict[int, str] = {}  # a customer's actions share one list of invoices

    def json_list(values: list) -> str:
        if not values:
            return "[]"
        key = id(values)
        if key not in texts:
            texts[key] = json_text(values)
        return texts[key]

    copy_rows(
        Action,
        NEW_ACTION_COLUMNS,
        (
            (
                a.customer_id,
                a.episode_id,
                a.stage.pk,
                str(a.kind),
                str(a.status),
                a.reason,
                a.policy_version,
                json_list(a.invoice_refs),
                a.amount_minor,
                a.currency,
                day(a.oldest_due_on),
                a.acknowledged,
                day(a.as_of),
                a.message_id,
                json_list(a.suspension_ids),
                day(a.possible_from) if a.possible_from else None,
                _waiting_for(a),
                moment,
                moment,
            )  # fmt: skip
            for a in actions
            if a.pk is None
        ),
    )
    held_earlier = [a for a in actions if a.pk is not None]
    if not held_earlier:  # a catch-up's first run: nothing to update (a scratch table spared)
        return
    update_rows(
        Action,
        UPDATED_COLUMNS,
        (
            (
                str(a.status),
                a.reason,
                json_list(a.invoice_refs),
                a.amount_minor,
                a.currency,
                day(a.oldest_due_on),
                day(a.as_of),
                a.message_id,
                json_list(a.suspension_ids),
                day(a.possible_from) if a.possible_from else None,
                _waiting_for(a),
                moment,
                a.pk,
            )  # fmt: skip
            for a in held_earlier
        ),
    )


def _reinstate_cleared(as_of: dt.date, actor: str) -> list[int]:
    """The sweep behind the payments hook: a customer whose collections suspension was still
    waiting for Partner Center when it paid is reinstated by the next run (what each owes read
    from the staged book)."""
    suspended = (
        Suspension.objects.filter(
            reason=SuspensionReason.NON_PAYMENT,
            parent_suspension=None,
            status=SuspensionStatus.SUSPENDED,
        )
        .exclude(policy_version="")
        .values_list("subscription__customer_id", flat=True)
        .distinct()
    )
    calendar = china_calendar()
    customers = sorted(set(suspended))
    overdue, _ = staging.owed_of(customers)
    done = []
    for customer_id in customers:
        owed = overdue.get(customer_id)
        if not in_suspension_condition(customer_id, owed, as_of=as_of, calendar=calendar):
            done += reinstate_if_cleared(
                customer_id=customer_id, as_of=as_of, actor=actor, why="daily run"
            )
    return done


CHUNK = 2000  # customers decided and written at a time: the run's memory stays bounded


def _contacts_of(
    ids: Iterable[int] | Expression, *, within: tuple[int, int] | None = None
) -> dict[int, list[str]]:
    """Each customer's billing addresses, primary first. `ids`: the customers, or an SQL
    expression that selects them (a run's: `staging.notified`); `within`: the range of ids
    they are in (so that the database reads only that range of contacts)."""
    ids = ids if isinstance(ids, Expression) else list(ids)
    contacts: dict[int, list[str]] = defaultdict(list)
    chosen = BillingContact.objects.exclude(email="").filter(customer_id__in=ids)
    if within is not None:
        chosen = chosen.filter(customer_id__gte=within[0], customer_id__lte=within[1])
    for cid, email in chosen.order_by("customer_id", "-is_primary", "id").values_list(
        "customer_id", "email"
    ):
        if email not in contacts[cid]:
            contacts[cid].append(email)
    return contacts


def _write(
    ctx: Context,
    actions: list[Action | NewAction],
    result: RunResult,
    inserted: Sequence[tuple] = (),
) -> None:
    """The decided actions, and an audit event per customer listing its actions of this run
    (`inserted`: those `staging` inserted, as its `INSERTED` rows), each with why, in stage
    order. A held action held again for the same reason changed nothing: no write, no event (a
    second run the same day inserts nothing)."""
    actions = [a for a in actions if getattr(a, "before", None) != (a.status, a.reason)]
    _save(actions, timezone.now())
    stages = ctx.stages
    position = {pk: stage.position for pk, stage in stages.items()}
    # (customer, stage position, kind, …): sorted as tuples, in stage order per customer.
    entries = [
        (a.customer_id, position[a.stage_id], str(a.kind), a.stage_id, str(a.status), a.reason,
         a.episode_id, a.acknowledged, a.suspension_ids)
        for a in actions
    ]  # fmt: skip
    entries += [
        (cid, position[stage_id], kind, stage_id, status, reason, episode, acknowledged, [])
        for cid, episode, stage_id, kind, status, reason, acknowledged in inserted
    ]
    entries.sort()
    result.count((e[2], e[4]) for e in entries)
    listed: dict[tuple, dict] = {}  # thousands of customers' actions read the same: one dict
    events = []
    for cid, group in groupby(entries, key=itemgetter(0)):
        rows = list(group)
        episode, acknowledged = rows[0][6], rows[0][7]  # one episode, one version a run
        actions_of = []
        for _, _, kind, stage_id, status, reason, _, _, suspensions in rows:
            stage = stages[stage_id]
            key = (stage_id, kind, status, reason)
            item = listed.get(key) if not suspensions else None
            if item is None:
                item = {"stage": stage.code, "action": kind, "status": status,
                        "reason": reason, "suspensions": suspensions}  # fmt: skip
                if not suspensions:
                    listed[key] = item
            actions_of.append(item)
            if result.describing:
                result.actions.append(
                    _describe(ctx, cid, stage, kind, status, reason, acknowledged, suspensions)
                )
        events.append(
            {
                "action": AuditAction.COLLECTIONS_ACTION,
                "object_type": "customer",
                "object_id": cid,
                "after": {**_owed_of(ctx, cid, stage, acknowledged), "actions": actions_of},
                "context": {"as_of": ctx.as_of.isoformat(), "episode": episode},
            }
        )
    record_events(actor=ctx.actor, events=events, json_ready=True)  # str, int, bool, lists


def _owed_of(ctx: Context, customer_id: int, stage: Stage, acknowledged: bool) -> dict[str, Any]:
    """What a customer's actions of a run share, stated once in its audit event: the version
    it is collected under, what it owes past due and which invoices."""
    owed = ctx.overdue[customer_id]
    shared = {
        "policy_version": ctx.labels[stage.version_id],
        "acknowledged": bool(acknowledged),
        "invoices": ctx.invoices.get(customer_id, []),
        "amount": _amount_text(owed.amount_minor, owed.currency),
        "currency": owed.currency,
    }
    if owed.also:  # other currencies
        shared["also_owed"] = {c: _amount_text(m, c) for c, m in owed.also}
    return shared


@transaction_step
def collections_run(
    *, as_of: dt.date, actor: str, dry_run: bool = False, keep: int | None = None
) -> RunResult:
    """The run of `as_of`: every newly reached stage's actions, once per overdue episode.

    Decided and written CHUNK customers at a time; the suspensions wait for the end, when the
    circuit breaker can count them all."""
    switch = lock_collections_switch()
    result = RunResult(as_of=as_of, dry_run=dry_run, keep=keep, paused=switch.paused)
    calendar = china_calendar()
    staging.stage_book(as_of)
    result.closed_episodes = staging.close_cleared_episodes(as_of)
    default = default_version()
    steps = decisions.steps_as_of(as_of, calendar)
    customers = staging.stage_pending(as_of, steps, default.pk if default else None)
    overdue, invoices = staging.owed_of() if customers else ({}, {})
    by_customer: dict[int, list[decisions.Pending]] = defaultdict(list)
    if customers:  # none, or no version published: nothing was staged
        # Those the run may suspend, locked before it writes anything (a payment for them
        # waits for the run, then finds the suspension and reinstates; one committed before
        # is seen when the suspension is carried out: `suspend_customer` reads afresh). A dry
        # run commits nothing: it keeps no payment waiting.
        if not dry_run:
            lock_customers_selected(staging.suspending_customers())
        staging.open_episodes(as_of)
        staging.stage_owed((overdue[c] for c in staging.with_plain_actions()), invoices)
        for p in staging.to_decide():
            by_customer[p.customer_id].append(p)
    version_ids = {s.version_id for s in steps}
    stages = {s.pk: s for s in Stage.objects.filter(version__in=version_ids)}
    versions = {
        v.pk: v for v in PolicyVersion.objects.select_related("policy").filter(pk__in=version_ids)
    }
    labels = {pk: version.label for pk, version in versions.items()}
    plans: list[SuspensionPlan] = []
    ctx = None
    for chunk in batched(customers, CHUNK):
        to_decide = [p for c in chunk for p in by_customer.get(c, ())]
        notified = staging.notified(chunk[0], chunk[-1])
        ctx = Context(
            as_of=as_of,
            actor=actor,
            calendar=calendar,
            stages=stages,
            versions=versions,
            overdue=overdue,
            invoices=invoices,
            contacts=_contacts_of(notified, within=(chunk[0], chunk[-1])),
            addressees=addressees(notified, within=(chunk[0], chunk[-1])),
        )
        inserted = staging.insert_plain_actions(
            chunk[0], chunk[-1], labels=labels, as_of=as_of, now=timezone.now()
        )
        actions, chunk_plans = _decide(ctx, to_decide)
        _queue_notices(ctx)
        planned = {id(plan.action) for plan in chunk_plans}
        _write(ctx, [a for a in actions if id(a) not in planned], result, inserted)
        plans += chunk_plans
    if plans:
        result.breaker = apply_breaker(plans, as_of=as_of, paused=switch.paused, actor=actor)
        for plan in plans:
            if plan.action.status == ActionStatus.DONE:
                suspend_customer(plan, actor=actor)
        ctx.addressees = {}
        _write(ctx, [plan.action for plan in plans], result)
    result.reinstated = _reinstate_cleared(as_of, actor)
    staging.drop_staging()
    if not dry_run:
        CollectionsRun.objects.create(
            as_of=as_of,
            dry_run=False,
            started_by=actor,
            finished_at=timezone.now(),
            breaker_tripped=bool(result.breaker),
            summary={k: v for k, v in result.as_json().items() if k != "actions"},
        )
    return result


def do_collections_run(
    *, as_of: dt.date, actor: str, dry_run: bool = False, keep: int | None = None
) -> RunResult:
    """Entry point: one durable transaction; a dry run decides everything, then rolls back.
    `keep`: how many actions to describe in the result (None: all; all are counted)."""
    with fewer_collections(), transaction.atomic(durable=True):
        result = collections_run(as_of=as_of, actor=actor, dry_run=dry_run, keep=keep)
        if dry_run:
            transaction.set_rollback(True)
    return result
