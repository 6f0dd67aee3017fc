"""Staff console pages of collections. Every staff role reads; finance and administrators run,
approve, pause, record promises and exemptions, and edit and publish policies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.collections import selectors
from cspbilling.collections.models import (
    Action,
    ActionKind,
    ActionStatus,
    CollectionsRun,
    Exemption,
    PromiseToPay,
)
from cspbilling.collections.outlook import customer_timeline, forecast_chart, portfolio_forecast
from cspbilling.collections.services import (
    ApprovalError,
    CollectionsError,
    do_close_task,
    do_collections_run,
    do_decide_approval,
    do_grant_exemption,
    do_record_promise,
    do_set_pause,
)
from cspbilling.customers.models import Customer


@require_roles(*READ_ROLES)
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    forecast = portfolio_forecast(today=today)
    return render(
        request,
        "collections/overview.html",
        {
            "may_act": user_has_role(request.user, MONEY_ROLES),
            "switch": selectors.is_paused(),
            "approvals": selectors.waiting_approvals(),
            "held": Action.objects.filter(status=ActionStatus.HELD)
            .select_related("customer", "stage")
            .order_by("-decided_at")[:100],
            "tasks": Action.objects.filter(kind=ActionKind.ESCALATE, status=ActionStatus.OPEN)
            .select_related("customer", "stage")
            .order_by("created_at")[:100],
            "promises": PromiseToPay.objects.filter(withdrawn_at=None, promised_on__gte=today)
            .select_related("customer")
            .order_by("promised_on"),
            "exemptions": Exemption.objects.filter(revoked_at=None, expires_on__gte=today)
            .select_related("customer")
            .order_by("expires_on"),
            "runs": CollectionsRun.objects.all()[:10],
            "forecast": forecast,
            "chart": forecast_chart(forecast),
            "today": today,
            "result": request.session.pop("collections_result", None),
        },
    )


@require_roles(*MONEY_ROLES)
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    dry_run = request.POST.get("dry_run") == "1"
    result = do_collections_run(
        as_of=timezone.localdate(), actor=request.user.username, dry_run=dry_run, keep=200
    )
    request.session["collections_result"] = result.as_json()
    verb = "would take" if dry_run else "took"
    messages.success(request, f"Collections run: {verb} {result.total} action(s).")
    return redirect("collections:overview")


@require_roles(*MONEY_ROLES)
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(Action, pk=pk)
    try:
        do_decide_approval(
            action=action,
            approve=request.POST.get("decision") == "approve",
            actor=request.user.username,
            note=request.POST.get("note", "")[:500],
        )
    except ApprovalError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Decision recorded.")
    return redirect("collections:overview")


@require_roles(*MONEY_ROLES)
@require_POST
def pause(request: HttpRequest) -> HttpResponse:
    try:
        do_set_pause(
            paused=request.POST.get("paused") == "1",
            reason=request.POST.get("reason", "")[:500],
            actor=request.user.username,
        )
    except CollectionsError as refusal:
        messages.error(request, str(refusal))
    return redirect("collections:overview")


@require_roles(*MONEY_ROLES)
@require_POST
def close_task(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        do_close_task(
            action=get_object_or_404(Action, pk=pk),
            actor=request.user.username,
            note=request.POST.get("note", "")[:500] or "done",
        )
    except CollectionsError as refusal:
        messages.error(request, str(refusal))
    return redirect("collections:overview")


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@require_roles(*MONEY_ROLES)
@require_POST
def hold(request: HttpRequest, tenant_id) -> HttpResponse:
    """A promise to pay or an exemption for one customer (from its timeline)."""
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    day = _day(request.POST.get("day", ""))
    try:
        if day is None:
            raise CollectionsError("give a day (YYYY-MM-DD)")
        if request.POST.get("kind") == "promise":
            try:
                amount = Decimal(request.POST.get("amount", ""))
            except InvalidOperation:
                raise CollectionsError("give the promised amount") from None
            do_record_promise(
                customer=customer,
                amount=amount,
                promised_on=day,
                actor=request.user.username,
                note=request.POST.get("note", "")[:500],
            )
        else:
            do_grant_exemption(
                customer=customer,
                reason=request.POST.get("note", "")[:500],
                expires_on=day,
                actor=request.user.username,
            )
    except CollectionsError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Recorded.")
    return redirect("collections:customer", tenant_id=customer.tenant_id)


@require_roles(*READ_ROLES)
def customer(request: HttpRequest, tenant_id) -> HttpResponse:
    customer = get_object_or_404(Customer, tenant_id=tenant_id)
    today = timezone.localdate()
    version, acknowledged = selectors.version_for(customer.pk)
    return render(
        request,
        "collections/customer.html",
        {
            "customer": customer,
            "version": version,
            "acknowledged": acknowledged,
            "acknowledgement": selectors.latest_acknowledgement(customer.pk),
            "restricted": selectors.is_restricted(customer.pk),
            "events": customer_timeline(customer, today=today),
            "today": today,
            "may_act": user_has_role(request.user, MONEY_ROLES),
            "published": selectors.published_versions(),
        },
    )
