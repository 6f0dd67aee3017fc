"""Collections in the demo: four customers whose invoices fell due long enough ago to stand at
each stage of the default policy today (reminder, second notice with new orders refused, final
notice with a task for a person, and the suspension stage, held until the notice it needs has
been delivered for the policy's days), then today's run.

The invoices are the latest month's drafts, issued back-dated so that they are overdue; the
stages are reached by the run itself, as in production (nothing is written around it)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from cspbilling.collections.models import Stage
from cspbilling.collections.policy_rules import parse_yaml
from cspbilling.collections.schedule import stage_day
from cspbilling.collections.selectors import default_version
from cspbilling.collections.services import (
    do_collections_run,
    do_draft_policy_version,
    do_publish_policy_version,
)
from cspbilling.customers.models import BillingContact
from cspbilling.invoicing.models import Invoice, InvoiceStatus
from cspbilling.invoicing.services import do_issue_invoices
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
    picked = list(chosen.values())[1 : len(stages) + 1]  # the first customer is the portal's
    for index, draft in enumerate(picked):
        due = due_day_at_stage(stages, index, today, calendar)
        issued_on = due - dt.timedelta(days=draft.customer.payment_terms_days)
        do_issue_invoices(invoices=[draft], actor="demo", on=issued_on)
    result = do_collections_run(as_of=today, actor="demo")
    return f"collections: {len(picked)} customers overdue, {len(result.actions)} actions today"
