"""Who may use the portal, and in which language it speaks to them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from cspbilling.accounts.models import Role
from cspbilling.accounts.permissions import user_has_role


def portal_language(request: HttpRequest) -> str:
    """An explicit choice (the language switcher's cookie), else the user's preference."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in supported:
        return chosen
    preferred = request.user.preferred_language or request.user.customer.language
    return preferred if preferred in supported else settings.LANGUAGE_CODE


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Customer portal users only (staff get 403); activates the customer's language."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_has_role(request.user, {Role.CUSTOMER}) or request.user.customer_id is None:
            raise PermissionDenied
        language = portal_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return view(request, *args, **kwargs)

    return wrapper
