"""Seeing ahead (read side): a customer's timeline (what happened, and the day each stage will be
reached if nothing is paid, down to the data-deletion day) and the portfolio forecast."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from cspbilling.collections import decisions
from cspbilling.collections.models import Action, ActionKind, ActionStatus, Episode, Stage
from cspbilling.collections.schedule import stage_day
from cspbilling.collections.selectors import version_for
from cspbilling.core.money import from_minor_units
from cspbilling.customers.models import Customer
from cspbilling.payments.models import Payment
from cspbilling.subscriptions.models import Suspension
from cspbilling.workdays.calendar import ChinaCalendar, china_calendar


@dataclass
class Event:
    day: dt.date
    what: str
    detail: str = ""
    future: bool = False
    kind: str = ""


def _acted_on(customer_id: int) -> tuple[set[tuple[int, str]], dict[int, dt.date]]:
    """This episode's (stage, kind) acted on, and the day each stage's held suspension is
    possible from at the earliest (proof of notice)."""
    episode = Episode.objects.filter(customer_id=customer_id, closed_on=None).first()
    if episode is None:
        return set(), {}
    done, possible_from = set(), {}
    for stage_id, kind, status, day in episode.actions.values_list(
        "stage_id", "kind", "status", "possible_from"
    ):
        if status != ActionStatus.HELD:
            done.add((stage_id, kind))
        elif day is not None:
            possible_from[stage_id] = day
    return done, possible_from


def future_stages(
    customer_id: int, owed: decisions.Overdue | None, today: dt.date, calendar: ChinaCalendar
) -> list[tuple[dt.date, Stage]]:
    """(day, stage) of each stage not yet acted on, if nothing is paid."""
    if owed is None:
        return []
    version, _ = version_for(customer_id)
    if version is None:
        return []
    done, possible_from = _acted_on(customer_id)
    result = []
    for stage in version.stages.all():
        if owed.amount_minor < stage.min_overdue_minor:
            continue
        if all((stage.pk, kind) in done for kind in stage.action_kinds):
            continue
        day = max(stage_day(owed.oldest_due, stage, calendar), today)
        result.append((max(day, possible_from.get(stage.pk, day)), stage))
    return result


def customer_timeline(customer: Customer, *, today: dt.date) -> list[Event]:
    calendar = china_calendar()
    events = []
    for a in Action.objects.filter(customer=customer).select_related("stage", "message"):
        detail = f"{a.get_status_display()}: {a.amount} {a.currency} on {', '.join(a.invoice_refs)}"
        if a.message is not None:
            delivered = a.message.delivered_at
            detail += f"; email {a.message.status}" + (
                f" {delivered:%Y-%m-%d %H:%M}" if delivered else ""
            )
        if a.reason:
            detail += f" ({a.reason})"
        events.append(
            Event(a.as_of, f"{a.stage.name}: {a.get_kind_display()}", detail, kind=a.kind)
        )
    for s in Suspension.objects.filter(subscription__customer=customer).select_related(
        "subscription"
    ):
        events.append(
            Event(
                s.requested_at.date(),
                f"Suspension of {s.subscription} ({s.get_reason_display()})",
                f"{s.get_status_display()}; {s.policy_version} {s.stage}".strip("; "),
                kind="suspension",
            )
        )
        if s.is_open and s.data_deletion_on:
            events.append(
                Event(
                    s.data_deletion_on,
                    f"Data of {s.subscription} deleted by the 21Vianet cloud",
                    "unless reactivated before",
                    future=True,
                    kind="deletion",
                )
            )
    for p in Payment.objects.filter(customer=customer):
        events.append(
            Event(
                p.received_on,
                "Payment received",
                f"{p.amount} {p.currency}" + (f" ({p.reference})" if p.reference else ""),
                kind="payment",
            )
        )
    owed = decisions.overdue_customers(today, customer_id=customer.pk).get(customer.pk)
    for day, stage in future_stages(customer.pk, owed, today, calendar):
        kinds = ", ".join(str(ActionKind(k).label) for k in stage.action_kinds)
        events.append(Event(day, f"{stage.name} (if nothing is paid)", kinds, True, "stage"))
        if stage.suspend:
            deletion = day + dt.timedelta(days=settings.SUSPENDED_DATA_RETENTION_DAYS)
            events.append(Event(deletion, "Data deleted if still suspended", "", True, "deletion"))
    return sorted(events, key=lambda e: (e.day, e.future))


@dataclass
class Forecast:
    start: dt.date
    days: list[dict] = field(default_factory=list)
    reminders: int = 0
    suspensions: int = 0
    at_risk: dict[str, object] = field(default_factory=dict)


def portfolio_forecast(*, today: dt.date, horizon: int = 14) -> Forecast:
    """Next `horizon` days if nothing is paid: notices and suspensions each day, and the amount
    of the customers who would be suspended (by currency). Invoices that fall due meanwhile
    count from their due day."""
    calendar = china_calendar()
    end = today + dt.timedelta(days=horizon)
    per_day: dict[dt.date, dict[str, int]] = defaultdict(lambda: {"notify": 0, "suspend": 0})
    at_risk: dict[str, int] = defaultdict(int)
    forecast = Forecast(start=today)
    for cid, owed in decisions.overdue_customers(end).items():
        for day, stage in future_stages(cid, owed, today, calendar):
            if not today < day <= end:
                continue
            if stage.notify:
                per_day[day]["notify"] += 1
                forecast.reminders += 1
            if stage.suspend:
                per_day[day]["suspend"] += 1
                forecast.suspensions += 1
                at_risk[owed.currency] += owed.amount_minor
    for n in range(1, horizon + 1):
        day = today + dt.timedelta(days=n)
        forecast.days.append({"day": day, **per_day.get(day, {"notify": 0, "suspend": 0})})
    forecast.at_risk = {c: from_minor_units(m, c) for c, m in sorted(at_risk.items())}
    return forecast


def forecast_chart(forecast: Forecast, *, width: int = 700, height: int = 180) -> dict:
    """Bars per day (notices, suspensions stacked), laid out for a server-side SVG."""
    top = max((d["notify"] + d["suspend"] for d in forecast.days), default=0) or 1
    slot = width / max(len(forecast.days), 1)
    usable = height - 40
    bars = []
    for i, d in enumerate(forecast.days):
        n_h = round(usable * d["notify"] / top)
        s_h = round(usable * d["suspend"] / top)
        x = round(i * slot + slot * 0.15)
        bars.append(
            {
                "x": x,
                "width": round(slot * 0.7),
                "notify_y": height - 20 - n_h,
                "notify_h": n_h,
                "suspend_y": height - 20 - n_h - s_h,
                "suspend_h": s_h,
                "label": d["day"].strftime("%m-%d"),
                "text_x": x + round(slot * 0.35),
                **d,
            }
        )
    return {"width": width, "height": height, "bars": bars}
