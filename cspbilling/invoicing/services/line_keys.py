"""What finds an upstream line again when 21Vianet re-issues its invoice (every line gets a new
id): its key (customer, subscription, offer, charge type and period, amount), and the line of
the re-issue that replaced it. Settled and held lines (`settlements.py`, `holds.py`) keep their
line's invoice and key, and follow it (`retrace_lines`), audited, so that the line that
replaced theirs is not billed either."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.invoicing import hooks
from cspbilling.invoicing.models import BilledUpstreamLine, HeldUpstreamLine, SettledUpstreamLine
from cspbilling.upstream.models import UpstreamLineItem

KEY_FIELDS = (
    "customer_tenant_id",
    "customer_number",
    "subscription_id",
    "offer_id",
    "durable_offer_id",
    "charge_type",
    "charge_start",
    "charge_end",
)


def line_key(line: UpstreamLineItem) -> dict:
    """What finds the line again among the lines of a re-issue of its invoice."""
    key = {name: getattr(line, name) for name in KEY_FIELDS}
    key = {name: None if value is None else str(value) for name, value in key.items()}
    return {**key, "amount_minor": line.amount_minor}


def _taken(ids: list[int]) -> set[int]:
    """Which of these lines are billed, settled or held already."""
    taken: set[int] = set()
    for model in (BilledUpstreamLine, SettledUpstreamLine, HeldUpstreamLine):
        taken |= set(
            model.objects.filter(upstream_line_id__in=ids).values_list(
                "upstream_line_id", flat=True
            )
        )
    return taken


def replacement(upstream_invoice_id: int, key: dict) -> UpstreamLineItem | None:
    """The line of the re-issued invoice that replaced the keyed one: the same key, neither
    billed, settled nor held; of the same amount, else the only one."""
    same = UpstreamLineItem.objects.filter(
        invoice_id=upstream_invoice_id, **{name: key.get(name) for name in KEY_FIELDS}
    ).order_by("pk")
    found = list(same.values_list("pk", "amount_minor"))
    taken = _taken([pk for pk, _ in found])
    free = [(pk, amount) for pk, amount in found if pk not in taken]
    exact = [pk for pk, amount in free if amount == key.get("amount_minor")]
    pk = exact[0] if exact else free[0][0] if len(free) == 1 else None
    return same.get(pk=pk) if pk is not None else None


def retrace_lines(
    model: type[models.Model],
    *,
    upstream_invoice_ids: Iterable[int],
    action: AuditAction,
    actor: str,
) -> int:
    """The rows of `model` (settled or held lines) on these upstream invoices whose line a
    re-issue replaced: re-pointed to the line that replaced it (audited; the apps that named the
    old line are told, `hooks.upstream_line_replaced`). One with no replacement (21Vianet took
    the line off) stays as it was. Returns how many were re-pointed."""
    rows = list(model.objects.filter(upstream_invoice_id__in=list(upstream_invoice_ids)))
    present = set(
        UpstreamLineItem.objects.filter(pk__in=[r.upstream_line_id for r in rows]).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for row in sorted(rows, key=lambda r: r.pk):
        if row.upstream_line_id in present:
            continue
        line = replacement(row.upstream_invoice_id, row.line_key)
        if line is None:
            continue
        before = {"upstream_line": row.upstream_line_id, "line_key": row.line_key}
        row.upstream_line_id, row.line_key = line.pk, line_key(line)
        row.save(update_fields=["upstream_line_id", "line_key"])
        record_event(
            actor=actor,
            action=action,
            object_type="upstream_line",
            object_id=line.pk,
            before=before,
            after={"upstream_line": line.pk, "line_key": row.line_key, "reason": row.reason},
        )
        hooks.upstream_line_replaced(before["upstream_line"], line.pk, actor)
        moved += 1
    return moved
