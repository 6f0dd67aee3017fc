"""The audit log in the staff console, and "verify the chain". Thin: selectors and services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import ADMIN_ROLES, READ_ROLES, require_roles
from cspbilling.audit import selectors
from cspbilling.audit.services import do_request_chain_verification

EVENTS_PER_PAGE = 50
OBJECT_EVENTS_SHOWN = 10
FILTERS = ("action", "object_type", "object_id", "actor")


def _verification_context(request: HttpRequest) -> dict:
    return {
        "verification": selectors.latest_chain_verification(),
        "can_verify": request.user.role in ADMIN_ROLES,
    }


@require_roles(*READ_ROLES)
def event_list(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "").strip()[:150] for name in FILTERS}
    before = request.GET.get("before", "")
    before_id = int(before) if before.isdigit() else None
    events, next_before = selectors.event_log(
        action_prefix=filters["action"],
        object_type=filters["object_type"],
        object_id=filters["object_id"],
        actor=filters["actor"],
        before_id=before_id,
        limit=EVENTS_PER_PAGE,
    )
    query = {k: v for k, v in filters.items() if v}
    context = {
        "events": events,
        "filters": filters,
        "filtered": bool(query),
        "next_url": f"?{urlencode({**query, 'before': next_before})}" if next_before else "",
        "first_url": f"?{urlencode(query)}" if query else "?",
        "paged": before_id is not None,
        **_verification_context(request),
    }
    return render(request, "audit/event_list.html", context)


@require_roles(*READ_ROLES)
def object_events(request: HttpRequest) -> HttpResponse:
    """A small "History" card for one object (loaded into other pages with htmx)."""
    object_type = request.GET.get("object_type", "").strip()[:64]
    object_id = request.GET.get("object_id", "").strip()[:64]
    events, more = (
        selectors.event_log(object_type=object_type, object_id=object_id, limit=OBJECT_EVENTS_SHOWN)
        if object_type and object_id
        else ([], None)
    )
    context = {
        "events": events,
        "more": more is not None,
        "full_url": "?" + urlencode({"object_type": object_type, "object_id": object_id}),
    }
    return render(request, "audit/_object_events.html", context)


@require_roles(*ADMIN_ROLES)
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    verification, created = do_request_chain_verification(actor=request.user.username)
    if created:
        messages.success(
            request,
            _("Chain verification #%(id)s queued; its progress and result appear below.")
            % {"id": verification.pk},
        )
    else:
        messages.info(
            request,
            _("Chain verification #%(id)s is already under way; its result appears below.")
            % {"id": verification.pk},
        )
    return redirect("audit:event_list")


@require_roles(*READ_ROLES)
def verification_status(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/_verification.html", _verification_context(request))
