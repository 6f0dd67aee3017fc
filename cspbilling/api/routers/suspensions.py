"""Suspensions: list and read the episodes; ask Partner Center to suspend or reactivate.
The request is queued (the worker carries the command), hence 202. Staff see every episode;
a portal user's token only its customer's (404 for another's) and cannot act (403)."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Status
from ninja.errors import HttpError

from cspbilling.accounts.permissions import MONEY_ROLES
from cspbilling.api.common import ERRORS, NO_NUL, WRITE_ERRORS, actor, is_portal, require_roles
from cspbilling.api.schemas.suspensions import (
    ReactivateIn,
    SuspendIn,
    SuspensionOut,
    SuspensionPage,
)
from cspbilling.subscriptions import selectors, services
from cspbilling.subscriptions.models import SuspensionReason

router = Router(tags=["suspensions"])
ANY_REASON = Query(None)
# The open statuses, and failed (closed, but staff look for those).
FilterStatus = Literal["requested", "suspended", "reactivation_requested", "failed"]
OPEN_STATUS = Query(None, description="An open status, or `failed`; omitted: every open episode.")
SUBSCRIPTION_ID = Path(..., max_length=64, pattern=NO_NUL)


def _mine(request: HttpRequest, qs):
    if is_portal(request):
        return qs.filter(subscription__customer_id=request.auth.customer_id)
    return qs


def _subscription(request: HttpRequest, subscription_id: str):
    subscription = (
        selectors.subscriptions_for_user(user=request.auth)
        .filter(subscription_id=subscription_id)
        .first()
    )
    if subscription is None:
        raise Http404("no such subscription")
    return subscription


@router.get("/suspensions", response={200: SuspensionPage, **ERRORS})
def list_suspensions(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    reason: SuspensionReason | None = ANY_REASON,
    status: FilterStatus | None = OPEN_STATUS,
):
    """Open suspension episodes, the nearest data deletion first."""
    qs = _mine(request, selectors.open_suspensions(reason=reason, status=status))
    return {
        "count": qs.count(),
        "limit": limit,
        "offset": offset,
        "items": list(qs[offset : offset + limit]),
    }


@router.get("/suspensions/{suspension_id}", response={200: SuspensionOut, **ERRORS})
def get_suspension(request: HttpRequest, suspension_id: int = Path(..., ge=1, le=2**62)):
    """One suspension episode, open or closed."""
    suspension = selectors.get_suspension(suspension_id=suspension_id)
    if is_portal(request) and suspension.subscription.customer_id != request.auth.customer_id:
        raise Http404("no such suspension")
    return suspension


@router.post(
    "/subscriptions/{subscription_id}/suspend",
    response={202: SuspensionOut, **WRITE_ERRORS},
    tags=["subscriptions"],
)
def suspend(request: HttpRequest, payload: SuspendIn, subscription_id: str = SUBSCRIPTION_ID):
    """Ask Partner Center to suspend the subscription (and its active add-ons). 409 when it
    cannot be suspended (already suspended, an open episode, deleted); nothing changes then."""
    subscription = _subscription(request, subscription_id)
    require_roles(request, MONEY_ROLES)
    try:
        suspension = services.do_suspend_subscription(
            subscription=subscription,
            reason=payload.reason,
            note=payload.note,
            actor=actor(request),
        )
    except services.SuspensionError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(202, selectors.get_suspension(suspension_id=suspension.pk))


@router.post(
    "/subscriptions/{subscription_id}/reactivate",
    response={202: SuspensionOut, **WRITE_ERRORS},
    tags=["subscriptions"],
)
def reactivate(request: HttpRequest, payload: ReactivateIn, subscription_id: str = SUBSCRIPTION_ID):
    """Ask Partner Center to reactivate the subscription (and the add-ons suspended with it).
    409 when there is nothing to reactivate or the suspension is not yet confirmed."""
    subscription = _subscription(request, subscription_id)
    require_roles(request, MONEY_ROLES)
    try:
        suspension = services.do_reactivate_subscription(
            subscription=subscription, note=payload.note, actor=actor(request)
        )
    except services.SuspensionError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(202, selectors.get_suspension(suspension_id=suspension.pk))
