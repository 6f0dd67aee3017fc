"""Named row locks for people and access (SQLite: the transaction is the lock)."""

from __future__ import annotations

from cspbilling.accounts.models import ApiToken, LoginThrottle, User


def lock_user_named(username: str) -> User | None:
    """The user with this name, locked for the rest of the transaction; None if there is none."""
    return User.objects.select_for_update().filter(username=username).first()


def lock_login_throttle(username: str) -> LoginThrottle:
    """The failure counter of a name that is no user's, locked (created on first use)."""
    row, _created = LoginThrottle.objects.select_for_update().get_or_create(username=username[:150])
    return row


def lock_api_token(pk: int) -> ApiToken:
    """The API token, locked for the rest of the transaction."""
    return ApiToken.objects.select_for_update().get(pk=pk)
