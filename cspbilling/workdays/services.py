"""Staff's days in the business calendar: set (add or change) and remove, each audited."""

from __future__ import annotations

import datetime as dt

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.workdays.models import CalendarDay, DayKind


class CalendarError(ValueError):
    """A calendar day that cannot be set; says why."""


@transaction_step
def set_calendar_day(*, day: dt.date, kind: DayKind | str, reason: str, actor: str) -> CalendarDay:
    """Make `day` a holiday or a working day whatever the library says (a new 调休, a local day)."""
    if kind not in DayKind.values:
        raise CalendarError(f"{kind!r} is not a kind of day ({', '.join(DayKind.values)})")
    reason = " ".join(reason.split())
    if not reason:
        raise CalendarError("say why the day differs from the official calendar")
    if len(reason) > 200:
        raise CalendarError("the reason is longer than 200 characters")
    existing = CalendarDay.objects.filter(day=day).first()
    before = {"kind": existing.kind, "reason": existing.reason} if existing else None
    row, _ = CalendarDay.objects.update_or_create(
        day=day, defaults={"kind": kind, "reason": reason, "added_by": actor}
    )
    record_event(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_SET,
        object_type="calendar_day",
        object_id=day.isoformat(),
        before=before,
        after={"kind": str(kind), "reason": reason},
    )
    return row


@transaction_step
def remove_calendar_day(*, day: dt.date, actor: str) -> bool:
    """Back to the official calendar for `day`; False when staff had not set it."""
    existing = CalendarDay.objects.filter(day=day).first()
    if existing is None:
        return False
    existing.delete()
    record_event(
        actor=actor,
        action=AuditAction.CALENDAR_DAY_REMOVED,
        object_type="calendar_day",
        object_id=day.isoformat(),
        before={"kind": existing.kind, "reason": existing.reason},
    )
    return True


do_set_calendar_day = entry_point(set_calendar_day)
do_remove_calendar_day = entry_point(remove_calendar_day)
