"""Background work for customers: the Partner Center sync, on request and on a schedule."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task

from cspbilling.core.scheduling import register_periodic

PERIODIC_SYNC_JOB = "customers.partner_center_sync"


@task()
def run_partner_center_sync(run_id: int) -> str:
    """The queued run `run_id` (made by services.request_sync)."""
    from cspbilling.sync.services import execute_sync_run

    return execute_sync_run(run_id=run_id).status


@task()
def scheduled_partner_center_sync() -> str:
    """The periodic sync. Skipped when Partner Center is not configured, or a run is active."""
    from cspbilling.partnercenter.auth import provider_from_settings
    from cspbilling.partnercenter.errors import PartnerCenterAuthError
    from cspbilling.sync.models import SyncTrigger
    from cspbilling.sync.services import SyncRefused, execute_sync_run, start_sync_run

    try:
        provider_from_settings()
    except PartnerCenterAuthError as exc:
        return f"skipped: {exc}"
    try:
        run = start_sync_run(actor="scheduler", trigger=SyncTrigger.SCHEDULED)
    except SyncRefused as exc:
        return f"skipped: {exc}"
    return execute_sync_run(run_id=run.pk).status


def sync_interval() -> timedelta | None:
    """Every CSPBILLING_PC_SYNC_MINUTES (read when the worker schedules); 0 turns it off."""
    minutes = settings.PARTNER_CENTER_SYNC_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


register_periodic(PERIODIC_SYNC_JOB, every=sync_interval, task=scheduled_partner_center_sync)
