"""Collections in the demo: four customers whose invoices fell due long enough ago to stand at
each stage of the default policy today (reminder, second notice with new orders refused, final
notice with a task for a person, and the suspension stage, held until the notice it needs has
been delivered for the policy's days), then today's run.

And two with a history: their invoices fell due weeks ago, and the past weeks are replayed day
by day under a moved clock (each stage's run on its day, its notices delivered that day), so
collections suspended them in Partner Center once the notices had been delivered for the
policy's days. One of them has since paid: the payment reactivated its subscriptions at once.
The other is still suspended: record its payment in the console and watch them come back.

The invoices are the latest month's drafts, issued back-dated so that they are overdue; the
stages are reached by the runs themselves, as in production (nothing is written around them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from cspbilling.collections.models import Action, Stage
from cspbilling.collections.policy_rules import parse_yaml
from cspbilling.collections.schedule import stage_day
from cspbilling.collections.selectors import default_version
from cspbilling.collections.services import (
    do_collections_run,
    do_draft_policy_version,
    do_publish_policy_version,
)
from cspbilling.collections.tasks import reevaluate_customer
from cspbilling.core.clock import moved_clock
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import BillingContact
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.invoicing.services import do_issue_invoices
from cspbilling.notifications.models import MessageKind
from cspbilling.notifications.services import do_deliver_pending_now
from cspbilling.payments.services import do_record_payment
from cspbilling.subscriptions.models import Subscription
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar

DEFAULT_POLICY = Path(__file__).with_name("fixtures") / "default_policy.yaml"


def due_day_at_stage(stages: list[Stage], index: int, today: dt.date, cal: ChinaCalendar):
    """A due day for which `stages[index]` is reached today and the next stage is not."""
    day = today - dt.timedelta(days=1)
    for _ in range(400):
        reached = stage_day(day, stages[index], cal) <= today
        beyond = index + 1 < len(stages) and stage_day(day, stages[index + 1], cal) <= today
        if reached and not beyond:
            return day
        day -= dt.timedelta(days=1)
    raise ValueError(f"no due day puts a customer at stage {stages[index].code} today")


def _default_version():
    """The default policy's version; made from the shipped file when none is left (the
    migration makes it, but a database emptied since has none)."""
    version = default_version()
    if version is None:
        spec = parse_yaml(DEFAULT_POLICY.read_text(encoding="utf-8"))
        draft = do_draft_policy_version(spec=spec, actor="demo")
        version = do_publish_policy_version(version=draft, actor="demo")
    return version


def _replay_history(drafts: list[Invoice], stages: list[Stage], today: dt.date, cal) -> int:
    """Issue `drafts` so that each reached the suspension stage some days ago, then replay each
    stage's day: the run of that day and the delivery of what it queued, under that day's clock.
    Returns how many of these customers collections suspended."""
    days: set[dt.date] = set()
    for k, draft in enumerate(drafts):
        at_suspension = today - dt.timedelta(days=3 + 7 * k)
        due = due_day_at_stage(stages, len(stages) - 1, at_suspension, cal)
        issued_on = due - dt.timedelta(days=draft.customer.payment_terms_days)
        do_issue_invoices(invoices=[draft], actor="demo", on=issued_on)
        days.update(stage_day(due, stage, cal) for stage in stages)
    for day in sorted(d for d in days if d < today):
        with moved_clock(day, hour=9):
            do_collections_run(as_of=day, actor="demo", keep=0)
        with moved_clock(day, hour=10):
            do_deliver_pending_now(kind=MessageKind.EMAIL, worker_id="demo")
            do_deliver_pending_now(kind=MessageKind.PARTNER_CENTER, worker_id="demo")
    return (
        Action.objects.filter(
            kind="suspend", customer__in=[d.customer_id for d in drafts], status="done"
        )
        .exclude(suspension_ids=[])
        .count()
    )


def _pay_in_full(invoice: Invoice) -> None:
    """The customer pays what is overdue: the payments hook reactivates at once."""
    invoice.refresh_from_db()
    do_record_payment(
        customer=invoice.customer,
        amount=from_minor_units(invoice.total_minor, invoice.currency),
        currency=invoice.currency,
        received_on=timezone.localdate(),
        method="bank_transfer",
        reference=f"DEMO-PAID-{invoice.number}",
        actor="finance",
    )
    # The payment enqueued the customer's re-evaluation for the worker, which starts after the
    # demo data; do it now (the queued one then finds nothing left to do) and carry out the
    # reactivation commands, so Partner Center agrees at once.
    reevaluate_customer.call(invoice.customer_id, "demo: paid in full")
    do_deliver_pending_now(kind=MessageKind.PARTNER_CENTER, worker_id="demo")


def collections_demo() -> str:
    version = _default_version()
    if (
        version is None
        or Invoice.objects.filter(
            status=InvoiceStatus.ISSUED, due_on__lt=timezone.localdate()
        ).exists()
    ):
        return ""  # no policy, or the demo already has overdue invoices (an earlier run)
    today = timezone.localdate()
    calendar = china_calendar()
    stages = list(version.stages.all())
    with_contacts = BillingContact.objects.exclude(email="").values("customer_id")
    with_subscriptions = Subscription.objects.filter(status="active").values("customer_id")
    drafts = (
        Invoice.objects.filter(
            status=InvoiceStatus.DRAFT,
            customer_id__in=with_contacts,
            total_minor__gt=0,
        )
        .filter(customer_id__in=with_subscriptions)
        .select_related("customer")
        .order_by("customer_id", "id")
    )
    chosen: dict[int, Invoice] = {}
    for draft in drafts:
        chosen.setdefault(draft.customer_id, draft)
    candidates = list(chosen.values())[1:]  # the first customer is the portal's
    picked, history = candidates[: len(stages)], candidates[len(stages) : len(stages) + 2]
    suspended = _replay_history(history, stages, today, calendar)
    if history:
        _pay_in_full(history[0])
    for index, draft in enumerate(picked):
        due = due_day_at_stage(stages, index, today, calendar)
        issued_on = due - dt.timedelta(days=draft.customer.payment_terms_days)
        do_issue_invoices(invoices=[draft], actor="demo", on=issued_on)
    result = do_collections_run(as_of=today, actor="demo", keep=0)
    return (
        f"collections: {len(picked) + len(history)} customers overdue, {result.total} actions "
        f"today, {suspended} suspended after their notices"
        + (", one reactivated by its payment" if history and suspended else "")
    )
