"""Who may do what. Every staff view and API endpoint names the roles it allows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from cspbilling.accounts.models import STAFF_ROLES, Role

READ_ROLES = STAFF_ROLES
MONEY_ROLES = frozenset({Role.ADMIN, Role.FINANCE})
SUPPORT_ROLES = frozenset({Role.ADMIN, Role.FINANCE, Role.SUPPORT})
ADMIN_ROLES = frozenset({Role.ADMIN})


def user_has_role(user, roles: Iterable[str]) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in set(roles))


def require_roles(*roles: str) -> Callable:
    """View decorator: anonymous users go to the login page, other roles get 403."""
    allowed = frozenset(roles)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
