"""The only write path for people and access. Every change here writes an audit event.

Each step runs inside the caller's transaction; edges call its `do_` entry point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cspbilling.accounts.locks import lock_api_token, lock_login_throttle, lock_user_named
from cspbilling.accounts.models import ApiToken, LoginThrottle, Role, User, hash_token
from cspbilling.audit.actions import AuditAction
from cspbilling.audit.services import record_event
from cspbilling.core.services import entry_point, transaction_step
from cspbilling.customers.models import Customer

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def _user_snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "role": user.role,
        "customer": str(user.customer.tenant_id) if user.customer_id else None,
        "email": user.email,
        "is_active": user.is_active,
        "preferred_language": user.preferred_language,
    }


@transaction_step
def create_user(
    *,
    username: str,
    password: str,
    role: str,
    customer: Customer | None = None,
    email: str = "",
    language: str | None = None,
    actor: str = "system",
    validate: bool = True,
) -> User:
    """Create a staff user (no customer) or a portal user (role customer, exactly one customer)."""
    username = (username or "").strip()
    if not username:
        raise ValidationError("the username is empty")
    if role not in Role.values:
        raise ValidationError(
            f"unknown role {role!r}: use one of {', '.join(Role.values)}", code="role"
        )
    if role == Role.CUSTOMER and customer is None:
        raise ValidationError("a portal user (role customer) needs a customer", code="customer")
    if role != Role.CUSTOMER and customer is not None:
        raise ValidationError(
            f"a {role} user is staff and cannot belong to a customer", code="customer"
        )
    if language is None:
        language = customer.language if customer is not None else settings.LANGUAGE_CODE
    if language not in LANGUAGE_CODES:
        raise ValidationError(
            f"unknown language {language!r}: use one of {', '.join(sorted(LANGUAGE_CODES))}"
        )
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"a user named {username!r} already exists", code="duplicate")
    user = User(
        username=username,
        role=role,
        customer=customer,
        email=email,
        preferred_language=language,
        is_staff=False,
        is_superuser=False,
    )
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    record_event(
        actor=actor,
        action=AuditAction.USER_CREATED,
        object_type="user",
        object_id=user.pk,
        after=_user_snapshot(user),
    )
    return user


@transaction_step
def change_password(*, user: User, new_password: str, actor: str | None = None) -> None:
    """Set a new (already validated) password."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_event(
        actor=actor or user.username,
        action=AuditAction.USER_PASSWORD_CHANGED,
        object_type="user",
        object_id=user.pk,
    )


def _lock_window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


@dataclass(frozen=True)
class LoginAttempt:
    """Whether the password may be checked now, and the lock this attempt set (if any)."""

    allowed: bool
    locked_until: datetime | None = None


@transaction_step
def claim_login_attempt(*, username: str, now: datetime | None = None) -> LoginAttempt:
    """Count one sign-in attempt as failed *before* its password is checked, under the name's
    row lock: however many attempts arrive at once, at most LOGIN_LOCKOUT_THRESHOLD of them get
    a password check before the lock; a correct password then clears the count
    (`record_successful_login`). Unknown usernames are counted in LoginThrottle, so that they
    lock exactly like real ones."""
    now = now or timezone.now()
    user = lock_user_named(username)
    row: User | LoginThrottle = user if user is not None else lock_login_throttle(username)
    # The row is locked for this transaction, so read-modify-write is safe.
    if row.locked_until is not None and row.locked_until > now:
        return LoginAttempt(allowed=False, locked_until=row.locked_until)
    if row.locked_until is not None:
        row.failed_login_count = 0  # the previous lock has expired: count afresh
        row.locked_until = None
    row.failed_login_count += 1
    if row.failed_login_count >= settings.LOGIN_LOCKOUT_THRESHOLD:
        row.locked_until = now + _lock_window()
    if user is None:
        row.updated_at = now
        row.save(update_fields=["failed_login_count", "locked_until", "updated_at"])
    else:
        user.save(update_fields=["failed_login_count", "locked_until"])
    return LoginAttempt(allowed=True, locked_until=row.locked_until)


@transaction_step
def record_failed_login(*, username: str, attempt: LoginAttempt) -> None:
    """The password was wrong (the attempt was already counted): audit it for a real user."""
    user = User.objects.filter(username=username).only("pk", "failed_login_count").first()
    if user is None:
        return
    record_event(
        actor=username,
        action=AuditAction.LOGIN_LOCKED if attempt.locked_until else AuditAction.LOGIN_FAILED,
        object_type="user",
        object_id=user.pk,
        after={"failed_login_count": user.failed_login_count, "locked_until": attempt.locked_until},
    )


@transaction_step
def record_successful_login(*, user: User) -> None:
    """A correct password: the failure counter starts again from zero."""
    before = {"failed_login_count": user.failed_login_count, "locked_until": user.locked_until}
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count = 0
    user.locked_until = None
    record_event(
        actor=user.username,
        action=AuditAction.LOGIN_SUCCEEDED,
        object_type="user",
        object_id=user.pk,
        before=before if before["failed_login_count"] else None,
    )


@transaction_step
def unlock_user(*, user: User, actor: str) -> None:
    """An administrator lifts a lock before it expires."""
    before = {"failed_login_count": user.failed_login_count, "locked_until": user.locked_until}
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    user.failed_login_count = 0
    user.locked_until = None
    record_event(
        actor=actor,
        action=AuditAction.USER_UNLOCKED,
        object_type="user",
        object_id=user.pk,
        before=before,
        after={"failed_login_count": 0, "locked_until": None},
    )


@transaction_step
def issue_api_token(*, user: User, name: str, actor: str | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for an integration. The raw token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("an API token needs a name (what integration uses it)")
    if not user.is_active:
        raise ValidationError(f"user {user.username!r} is inactive")
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=raw[:12], token_hash=hash_token(raw)
    )
    record_event(
        actor=actor or user.username,
        action=AuditAction.API_TOKEN_ISSUED,
        object_type="api_token",
        object_id=token.pk,
        after={"user": user.username, "name": token.name, "prefix": token.prefix},
    )
    return token, raw


@transaction_step
def revoke_api_token(*, token: ApiToken, actor: str) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing."""
    token = lock_api_token(token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        actor=actor,
        action=AuditAction.API_TOKEN_REVOKED,
        object_type="api_token",
        object_id=token.pk,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at},
    )
    return token


@transaction_step
def mark_api_token_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Note when a token was last used (at most once a minute; not an access change)."""
    now = now or timezone.now()
    if _use_worth_noting(token, now):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _use_worth_noting(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)


do_create_user = entry_point(create_user)
do_change_password = entry_point(change_password)
do_claim_login_attempt = entry_point(claim_login_attempt)
do_record_failed_login = entry_point(record_failed_login)
do_record_successful_login = entry_point(record_successful_login)
do_unlock_user = entry_point(unlock_user)
do_issue_api_token = entry_point(issue_api_token)
do_revoke_api_token = entry_point(revoke_api_token)


def do_mark_api_token_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Entry point: mark_api_token_used, opening a transaction only when there is a use to note
    (an API request pays nothing for it the rest of the minute)."""
    now = now or timezone.now()
    if _use_worth_noting(token, now):
        with transaction.atomic(durable=True):
            mark_api_token_used(token=token, now=now)
