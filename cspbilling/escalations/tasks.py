"""The escalations' periodic jobs: reminders and customer updates; api-mode filing and polling;
matching promised credits (also run by every upstream import)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task

from cspbilling.core.scheduling import register_periodic


@task()
def send_reminders() -> None:
    from cspbilling.escalations.services import do_send_reminders

    do_send_reminders()


@task()
def sync_escalations() -> None:
    from cspbilling.escalations.services import do_sync_escalations

    do_sync_escalations()


@task()
def match_credits() -> None:
    from cspbilling.escalations.services import do_match_credits

    do_match_credits()


def _sync_every() -> timedelta | None:
    if settings.ESCALATIONS_POLL_MINUTES <= 0:
        return None
    return timedelta(minutes=min(settings.ESCALATIONS_POLL_MINUTES, 15))


register_periodic("escalations.reminders", every=timedelta(minutes=15), task=send_reminders)
register_periodic("escalations.sync", every=_sync_every, task=sync_escalations)
register_periodic("escalations.match_credits", every=timedelta(hours=6), task=match_credits)
