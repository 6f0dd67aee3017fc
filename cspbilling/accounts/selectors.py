"""Reading people and access."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from cspbilling.accounts.models import ApiToken, LoginThrottle, User, hash_token


def login_locked_until(*, username: str, now: datetime | None = None) -> datetime | None:
    """When the lock on this username ends, or None; the same answer whether it exists or not."""
    now = now or timezone.now()
    until = User.objects.filter(username=username).values_list("locked_until", flat=True).first()
    if until is None:
        until = (
            LoginThrottle.objects.filter(username=username)
            .values_list("locked_until", flat=True)
            .first()
        )
    return until if until is not None and until > now else None


def active_api_token(*, raw_token: str) -> ApiToken | None:
    """The live token matching a presented bearer string, with its (active) user."""
    if not raw_token:
        return None
    return (
        ApiToken.objects.select_related("user", "user__customer")
        .filter(token_hash=hash_token(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def people(*, now: datetime | None = None) -> list[User]:
    """Every user, staff first then portal users by customer, each with `is_locked_now`."""
    now = now or timezone.now()
    users = list(
        User.objects.select_related("customer").order_by(
            "customer__company_name", "role", "username"
        )
    )
    for user in users:
        user.is_locked_now = user.is_locked(now)
    return sorted(users, key=lambda user: user.customer_id is not None)
