"""The console's Partner Center sync page. Thin: selectors to read, services to write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import READ_ROLES, SUPPORT_ROLES, require_roles
from cspbilling.sync import selectors
from cspbilling.sync.models import ACTIVE_SYNC_STATUSES, SyncTrigger
from cspbilling.sync.services import SyncRefused, request_sync

RUNS_SHOWN = 20


@require_roles(*READ_ROLES)
def sync_status(request: HttpRequest) -> HttpResponse:
    runs = selectors.recent_sync_runs(limit=RUNS_SHOWN)
    active = next((run for run in runs if run.status in ACTIVE_SYNC_STATUSES), None)
    context = {
        "runs": runs,
        "active": active,
        "can_sync": request.user.role in SUPPORT_ROLES,
        "sync_minutes": settings.PARTNER_CENTER_SYNC_MINUTES,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "sync-panel":
        return render(request, "sync/_sync_panel.html", context)
    return render(request, "sync/sync_status.html", context)


@require_roles(*SUPPORT_ROLES)
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    try:
        run = request_sync(actor=request.user.username, trigger=SyncTrigger.MANUAL)
    except SyncRefused as exc:
        messages.error(request, _("Not started: %(reason)s") % {"reason": exc})
    else:
        messages.success(
            request, _("Sync #%(id)s queued; this page follows its progress.") % {"id": run.pk}
        )
    return redirect("sync:status")
