"""Suspensions and reactivations done in Partner Center itself, seen by the sync: which status
changes the sync's events show. `services.record_upstream_status_changes` records them."""

from __future__ import annotations

from cspbilling.audit.actions import AuditAction


def status_changes_from_events(events: list[dict]) -> dict[str, tuple[str, str]]:
    """{subscription id: (status before, status after)} from the sync's change events."""
    return {
        event["object_id"]: (event["before"]["status"], event["after"]["status"])
        for event in events
        if event["action"] == AuditAction.SUBSCRIPTION_CHANGED_UPSTREAM
        and "status" in event["after"]
    }
