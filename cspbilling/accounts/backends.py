from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class LockoutModelBackend(ModelBackend):
    """Placeholder; the lockout logic lands with the accounts work."""
