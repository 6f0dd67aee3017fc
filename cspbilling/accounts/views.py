"""Sign-in, sign-out, password change, the landing redirect by role, and the people page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from cspbilling.accounts import selectors, services
from cspbilling.accounts.forms import LockoutAuthenticationForm
from cspbilling.accounts.models import User
from cspbilling.accounts.permissions import ADMIN_ROLES, require_roles


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """POST only (Django refuses GET): a link cannot sign anyone out."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_portal_user:
        return redirect("portal:home")
    if user.is_staff_member:
        return redirect("web:dashboard")
    raise PermissionDenied


@sensitive_post_parameters()
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.do_change_password(
            user=request.user, new_password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:home")
    base = "portal/base.html" if request.user.is_portal_user else "console/base.html"
    return render(request, "accounts/password_change.html", {"form": form, "base_template": base})


@require_roles(*ADMIN_ROLES)
def people(request: HttpRequest) -> HttpResponse:
    """Who can sign in, with which role, and who is locked out now."""
    return render(request, "accounts/people.html", {"people": selectors.people()})


@require_POST
@require_roles(*ADMIN_ROLES)
def unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator lifts a sign-in lock before it expires (audited)."""
    user = get_object_or_404(User, pk=user_id)
    services.do_unlock_user(user=user, actor=request.user.username)
    messages.success(request, _("%(username)s can sign in again.") % {"username": user.username})
    return redirect("accounts:people")
