"""The escalations' periodic jobs: reminders and customer updates; api-mode filing and polling;
matching promised credits (also run by every upstream import); and the outbox command that
tells 21Vianet, through the service-request API, that we withdrew a request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task

from cspbilling.core.scheduling import register_periodic
from cspbilling.notifications.commands import register_command
from cspbilling.notifications.errors import PermanentDeliveryError
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.errors import PartnerCenterAuthError, PartnerCenterError


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


@register_command("escalations.withdraw")
def tell_upstream_withdrawn(args: dict, *, idempotency_key: str) -> None:
    """Add the withdrawal note to the request, once: read it first, and send nothing when our
    note (it names our reference) is there already or the request is closed. The API adds
    notes only; it cannot close a request (21Vianet closes it)."""
    ticket, text = args.get("ticket_number"), args.get("text")
    marker = f"[{args.get('reference')}]"
    if not ticket or not text:
        raise PermanentDeliveryError(f"no ticket or text in the command arguments {args!r}")
    try:
        with PartnerCenterClient.from_settings() as client:
            request = client.get_service_request(ticket)
            status = request.status.value if request.status else ""
            if status == "closed" or any(marker in (n.text or "") for n in request.notes):
                return
            client.add_service_request_note(ticket, text)
    except PartnerCenterAuthError:
        raise  # configuration: retried until someone fixes the credentials
    except PartnerCenterError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            raise PermanentDeliveryError(str(exc)) from exc
        raise


def _sync_every() -> timedelta | None:
    if settings.ESCALATIONS_POLL_MINUTES <= 0:
        return None
    return timedelta(minutes=min(settings.ESCALATIONS_POLL_MINUTES, 15))


register_periodic("escalations.reminders", every=timedelta(minutes=15), task=send_reminders)
register_periodic("escalations.sync", every=_sync_every, task=sync_escalations)
register_periodic("escalations.match_credits", every=timedelta(hours=6), task=match_credits)
