"""Staff pages for suspensions. Thin: selectors to read, services to write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles
from cspbilling.audit.models import AuditEvent
from cspbilling.subscriptions import selectors, services
from cspbilling.subscriptions.forms import ReactivateForm, SuspendForm, SuspensionFilterForm

WARN_DAYS = 14


def _row(suspension, today) -> dict:
    upstream, error = selectors.upstream_state(suspension)
    days = selectors.days_until_deletion(suspension, today=today)
    return {
        "suspension": suspension,
        "subscription": suspension.subscription,
        "customer": suspension.subscription.customer,
        "days_left": days,
        "warn": days is not None and days <= WARN_DAYS,
        "upstream": upstream,
        "upstream_error": error,
    }


@require_roles(*READ_ROLES)
def suspension_list(request: HttpRequest) -> HttpResponse:
    form = SuspensionFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.open_suspensions(
        reason=filters.get("reason") or None,
        status=filters.get("status") or None,
        query=(filters.get("q") or "").strip(),
    )
    today = selectors.today()
    rows = [_row(s, today) for s in qs[:500]]
    context = {"form": form, "rows": rows, "today": today, "warn_days": WARN_DAYS}
    return render(request, "subscriptions/suspension_list.html", context)


@require_roles(*READ_ROLES)
def suspension_detail(request: HttpRequest, suspension_id: int) -> HttpResponse:
    suspension = selectors.get_suspension(suspension_id=suspension_id)
    events = AuditEvent.objects.filter(
        object_type="subscription",
        object_id=suspension.subscription.subscription_id,
        context__suspension_id=suspension.pk,
    ).order_by("id")
    context = {
        **_row(suspension, selectors.today()),
        "events": events,
        "add_on_suspensions": suspension.add_on_suspensions.select_related("subscription"),
        "can_act": request.user.role in MONEY_ROLES,
    }
    return render(request, "subscriptions/suspension_detail.html", context)


def _go_to_open_episode(request: HttpRequest, subscription, error: str) -> HttpResponse | None:
    existing = selectors.open_suspension_for(subscription=subscription)
    if existing is None:
        return None
    messages.warning(request, error)
    return redirect("subscriptions:suspension_detail", suspension_id=existing.pk)


@require_roles(*MONEY_ROLES)
def suspend(request: HttpRequest, subscription_id: str) -> HttpResponse:
    subscription = selectors.get_subscription(subscription_id=subscription_id)
    form = SuspendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suspension = services.do_suspend_subscription(
                subscription=subscription,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                actor=request.user.username,
            )
        except services.SuspensionError as exc:
            # A second click on the same form lands on the episode the first one opened.
            response = _go_to_open_episode(request, subscription, str(exc))
            if response is not None:
                return response
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Suspension requested; Partner Center will confirm it shortly."),
            )
            return redirect("subscriptions:suspension_detail", suspension_id=suspension.pk)
    context = {
        "subscription": subscription,
        "customer": subscription.customer,
        "form": form,
        "retention_days": settings.SUSPENDED_DATA_RETENTION_DAYS,
        "add_ons": selectors.active_add_ons(subscription=subscription),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "subscriptions/suspend_form.html", context, status=status)


@require_roles(*MONEY_ROLES)
def reactivate(request: HttpRequest, subscription_id: str) -> HttpResponse:
    subscription = selectors.get_subscription(subscription_id=subscription_id)
    form = ReactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            suspension = services.do_reactivate_subscription(
                subscription=subscription,
                note=form.cleaned_data["note"],
                actor=request.user.username,
            )
        except services.SuspensionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Reactivation requested; Partner Center will confirm it shortly.")
            )
            return redirect("subscriptions:suspension_detail", suspension_id=suspension.pk)
    context = {
        "subscription": subscription,
        "customer": subscription.customer,
        "form": form,
        "suspension": selectors.open_suspension_for(subscription=subscription),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "subscriptions/reactivate_form.html", context, status=status)
