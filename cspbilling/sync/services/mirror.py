"""Applying an upstream snapshot to a mirror table: set-based create, update, mark removed.

Used for customers and subscriptions. Runs inside the caller's transaction; never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models

from cspbilling.core.bulk import insert_rows
from cspbilling.core.fingerprint import fingerprint
from cspbilling.core.services import transaction_step


@dataclass
class MirrorCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    restored: int = 0
    audit_events: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "restored": self.restored,
        }


@dataclass(frozen=True)
class MirrorSpec:
    model: type[models.Model]
    key_field: str
    object_type: str
    removed_marker: str  # the field set to a time when the row vanished upstream
    extra_on_remove: dict[str, Any] = field(default_factory=dict)
    extra_on_restore: dict[str, Any] = field(default_factory=dict)
    defaults_on_create: Callable[[dict[str, Any]], dict[str, Any]] = lambda fields: {}


@transaction_step
def apply_snapshot(
    *,
    spec: MirrorSpec,
    snapshot: dict[str, dict[str, Any]],
    now: datetime,
    scope: models.QuerySet | None = None,
) -> MirrorCounts:
    """Make the mirror equal the snapshot {key: fields}. Rows of `scope` absent from the snapshot
    are marked removed (never deleted: invoices and audit events still point at them)."""
    counts = MirrorCounts()
    manager = spec.model.objects
    field_names = sorted({name for fields in snapshot.values() for name in fields})
    existing = {
        str(key): (pk, fp, removed_at)
        for key, pk, fp, removed_at in (scope if scope is not None else manager.all()).values_list(
            spec.key_field, "pk", "upstream_fingerprint", spec.removed_marker
        )
    }
    to_create, to_update, restored_pks = [], [], []
    before_by_pk = {}
    changed_pks = [
        existing[key][0]
        for key, fields in snapshot.items()
        if key in existing and existing[key][1] != fingerprint(fields)
    ]
    if changed_pks:
        before_by_pk = {
            row["pk"]: row for row in manager.filter(pk__in=changed_pks).values("pk", *field_names)
        }
    for key, fields in snapshot.items():
        fp = fingerprint(fields)
        if key not in existing:
            to_create.append(
                {
                    spec.key_field: key,
                    **fields,
                    **spec.defaults_on_create(fields),
                    "upstream_fingerprint": fp,
                    "last_synced_at": now,
                }
            )
            counts.audit_events.append(
                {
                    "action": f"{spec.object_type}.discovered_upstream",
                    "object_type": spec.object_type,
                    "object_id": key,
                    "after": fields,
                }
            )
            continue
        pk, old_fp, removed_at = existing[key]
        if removed_at is not None:
            restored_pks.append(pk)
            counts.restored += 1
            counts.audit_events.append(
                {
                    "action": f"{spec.object_type}.reappeared_upstream",
                    "object_type": spec.object_type,
                    "object_id": key,
                }
            )
        if old_fp == fp:
            counts.unchanged += 0 if removed_at is not None else 1
            continue
        before = before_by_pk[pk]
        changed = [name for name in fields if before.get(name) != fields[name]]
        row = spec.model(pk=pk, **fields, upstream_fingerprint=fp, last_synced_at=now)
        to_update.append(row)
        counts.updated += 1
        counts.audit_events.append(
            {
                "action": f"{spec.object_type}.changed_upstream",
                "object_type": spec.object_type,
                "object_id": key,
                "before": {name: before.get(name) for name in changed},
                "after": {name: fields[name] for name in changed},
            }
        )
    counts.created = insert_rows(spec.model, to_create)
    if to_update:
        manager.bulk_update(
            to_update, [*field_names, "upstream_fingerprint", "last_synced_at"], batch_size=500
        )
    if restored_pks:
        manager.filter(pk__in=restored_pks).update(
            **{spec.removed_marker: None}, **spec.extra_on_restore
        )
    vanished = [
        (key, pk)
        for key, (pk, _, removed_at) in existing.items()
        if key not in snapshot and removed_at is None
    ]
    if vanished:
        manager.filter(pk__in=[pk for _, pk in vanished]).update(
            **{spec.removed_marker: now}, **spec.extra_on_remove
        )
        counts.removed = len(vanished)
        counts.audit_events += [
            {
                "action": f"{spec.object_type}.removed_upstream",
                "object_type": spec.object_type,
                "object_id": key,
            }
            for key, _ in vanished
        ]
    return counts
