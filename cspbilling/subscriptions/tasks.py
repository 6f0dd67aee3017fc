"""Outbox commands that carry a suspension or a reactivation to Partner Center.

Each reads the subscription first: if it is already in the state we want, it only confirms (so a
second run, or a run after a crash, changes nothing); otherwise it PATCHes the subscription as
just read with its ETag, and on 2055 (someone changed it meanwhile) reads it again and decides
again, a bounded number of times.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.tasks import task

from cspbilling.core.scheduling import register_periodic
from cspbilling.notifications.commands import register_command
from cspbilling.notifications.errors import PermanentDeliveryError, TemporaryDeliveryError
from cspbilling.partnercenter.client import PartnerCenterClient
from cspbilling.partnercenter.errors import (
    EtagMismatch,
    PartnerCenterAuthError,
    PartnerCenterError,
    SubscriptionDeleted,
)
from cspbilling.subscriptions import services
from cspbilling.subscriptions.models import Suspension, SuspensionStatus

logger = logging.getLogger(__name__)

MAX_ROUNDS = 4
EXPECTED = {
    "suspended": SuspensionStatus.REQUESTED,
    "active": SuspensionStatus.REACTIVATION_REQUESTED,
}


class SubscriptionGone(PartnerCenterError):
    """Partner Center no longer knows the subscription, or shows it deleted."""


def set_upstream_status(
    client: PartnerCenterClient, tenant_id: str, subscription_id: str, target: str
) -> Any:
    """Read, decide, write; returns the subscription as Partner Center now has it."""
    for round_ in range(1, MAX_ROUNDS + 1):
        try:
            current = client.get_subscription(tenant_id, subscription_id)
        except PartnerCenterError as exc:
            if exc.status == 404:
                raise SubscriptionGone(exc.description, status=404, code=exc.code) from exc
            raise
        status = str(current.status)
        if status == target:
            return current
        if status == "deleted":
            raise SubscriptionGone(
                f"subscription {subscription_id} is deleted in Partner Center", code="2011"
            )
        try:
            return client.set_subscription_status(tenant_id, current, target)
        except EtagMismatch:
            logger.info(
                "subscription %s changed upstream (round %d); reading again",
                subscription_id,
                round_,
            )
            continue
    raise TemporaryDeliveryError(
        f"subscription {subscription_id} changed in Partner Center {MAX_ROUNDS} times while we "
        f"tried to set it {target}; trying again later"
    )


def _carry(args: dict, *, target: str) -> None:
    try:
        suspension = Suspension.objects.select_related("subscription__customer").get(
            pk=args["suspension_id"]
        )
    except (KeyError, TypeError, Suspension.DoesNotExist):
        raise PermanentDeliveryError(f"no suspension for command arguments {args!r}") from None
    if suspension.status == SuspensionStatus.FAILED:
        raise PermanentDeliveryError(suspension.failure or "the suspension failed")
    if suspension.status != EXPECTED[target]:
        return  # confirmed by an earlier run
    sub = suspension.subscription
    try:
        with PartnerCenterClient.from_settings() as client:
            upstream = set_upstream_status(
                client, str(sub.customer.tenant_id), sub.subscription_id, target
            )
    except (SubscriptionDeleted, SubscriptionGone) as exc:
        services.do_record_upstream_failure(
            suspension_id=suspension.pk, error=str(exc), upstream_status="deleted"
        )
        raise PermanentDeliveryError(str(exc)) from exc
    except PartnerCenterAuthError:
        raise  # configuration: retried until someone fixes the credentials
    except PartnerCenterError as exc:
        if exc.code == "27009":
            raise TemporaryDeliveryError(f"waiting for the parent subscription: {exc}") from exc
        if exc.status is not None and 400 <= exc.status < 500:
            raise PermanentDeliveryError(str(exc)) from exc
        raise
    services.do_record_upstream_state(suspension_id=suspension.pk, upstream=upstream)


@register_command("subscriptions.suspend", on_cancel=services.withdraw_cancelled_command)
def suspend(args: dict, *, idempotency_key: str) -> None:
    _carry(args, target="suspended")


@register_command("subscriptions.reactivate", on_cancel=services.withdraw_cancelled_command)
def reactivate(args: dict, *, idempotency_key: str) -> None:
    _carry(args, target="active")


@task
def daily_data_deletion_warnings() -> int:
    from cspbilling.subscriptions.selectors import today
    from cspbilling.subscriptions.services import do_send_data_deletion_warnings

    return do_send_data_deletion_warnings(today=today(), actor="scheduler")


# 01:00 UTC is 09:00 in China: the warning arrives at the start of the working day.
register_periodic(
    "subscriptions.data_deletion_warnings",
    every=timedelta(days=1),
    offset=timedelta(hours=1),
    task=daily_data_deletion_warnings,
)
