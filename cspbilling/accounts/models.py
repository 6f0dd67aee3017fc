"""People: staff with a role, and portal users who belong to exactly one customer."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    FINANCE = "finance", "Finance"
    SUPPORT = "support", "Support agent"
    READ_ONLY = "readonly", "Read-only"
    CUSTOMER = "customer", "Customer portal user"


STAFF_ROLES = frozenset({Role.ADMIN, Role.FINANCE, Role.SUPPORT, Role.READ_ONLY})


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.READ_ONLY)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_users",
        help_text="Set for portal users only: the one customer whose data they may see.",
    )
    preferred_language = models.CharField(max_length=8, default="en")
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="customer", customer__isnull=False))
                | (~models.Q(role="customer") & models.Q(customer__isnull=True)),
                name="portal_user_has_exactly_one_customer",
            )
        ]

    @property
    def is_portal_user(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES

    def is_locked(self, now=None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for an integration; only its hash is stored, the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_raw_token() -> str:
        return "csp_" + secrets.token_urlsafe(32)


class LoginThrottle(models.Model):
    """Failed sign-ins for usernames that do not exist, so a lockout reveals nothing."""

    username = models.CharField(max_length=150, unique=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.username}: {self.failed_login_count}"
