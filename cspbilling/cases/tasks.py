"""The cases' periodic jobs: auto-close resolved cases after the window, warn of SLA targets
due soon or breached, poll the support mailbox."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task

from cspbilling.core.scheduling import register_periodic


@task()
def auto_close_cases() -> None:
    from cspbilling.cases.services import do_auto_close_resolved_cases

    do_auto_close_resolved_cases()


@task()
def warn_sla() -> None:
    from cspbilling.cases.services.sla_warnings import do_warn_sla

    do_warn_sla()


@task()
def poll_mailbox() -> None:
    from cspbilling.cases.intake.imap import poll_configured_mailbox

    poll_configured_mailbox()


def _poll_every() -> timedelta | None:
    if not settings.CASES_IMAP["HOST"] or settings.CASES_MAIL_POLL_MINUTES <= 0:
        return None
    return timedelta(minutes=settings.CASES_MAIL_POLL_MINUTES)


register_periodic("cases.auto_close", every=timedelta(hours=1), task=auto_close_cases)
register_periodic("cases.sla_warnings", every=timedelta(minutes=15), task=warn_sla)
register_periodic("cases.mail_poll", every=_poll_every, task=poll_mailbox)
