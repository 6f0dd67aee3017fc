"""Reading the chain, and proving it intact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cspbilling.audit.hashing import event_hash
from cspbilling.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(*, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Recompute every hash; report edited events, deleted events and a truncated tail."""
    report = ChainReport()
    prev_hash = GENESIS_HASH
    last_id = 0
    # The head is read first: events appended while we walk are outside this check, so they
    # cannot be mistaken for a truncated tail.
    head = AuditChainHead.objects.filter(id=1).first()
    events = AuditEvent.objects.order_by("id")
    if head:
        events = events.filter(id__lte=head.last_event_id)
    for event in events.iterator(chunk_size=2000):
        report.checked += 1
        if event.prev_hash != prev_hash:
            report.problems.append(
                f"event #{event.pk}: the event before it was deleted or altered (after #{last_id})"
            )
        expected = event_hash(
            prev_hash=event.prev_hash,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            context=event.context,
        )
        if expected != event.hash:
            report.problems.append(
                f"event #{event.pk}: its content was edited after it was written"
            )
        prev_hash = event.hash
        last_id = event.pk
        if progress:
            progress(1)
    if head and head.last_hash != prev_hash:
        report.problems.append(
            f"the last event (#{head.last_event_id}) is missing: the chain was truncated"
        )
    return report


def events_for(*, object_type: str, object_id: str | int):
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))


def event_log(
    *,
    action_prefix: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    before_id: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditEvent], int | None]:
    """One page of events, newest first, and the id to pass as `before_id` for the next page
    (None on the last). Keyset paging on the primary key: no COUNT, no OFFSET, however long
    the chain grows."""
    qs = AuditEvent.objects.order_by("-id")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor=actor)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs[: limit + 1])
    next_before = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_before


def latest_chain_verification():
    from cspbilling.audit.models import ChainVerification

    return ChainVerification.objects.order_by("-requested_at", "-id").first()
