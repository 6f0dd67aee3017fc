"""Staff console pages of cases: the queues (mine, unassigned, due soon, waiting on customer,
escalated, triage), the case page (conversation, reply / note forms, links, dispute, actions)
and SLA figures per agent and month. Every staff role reads; support, finance and admins act."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import storages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import READ_ROLES, SUPPORT_ROLES, require_roles, user_has_role
from cspbilling.audit.selectors import events_for
from cspbilling.cases import selectors
from cspbilling.cases.actions import ACTIONS, CaseActionError
from cspbilling.cases.models import (
    CannedResponse,
    CaseCategory,
    CasePriority,
    CaseStatus,
    CloseReason,
)
from cspbilling.cases.services import CaseError, do_save_canned_response
from cspbilling.cases.upstream_escalations import pending_escalations
from cspbilling.core.transitions import TransitionError

QUEUE_LABELS = {
    "mine": "Mine",
    "unassigned": "Unassigned",
    "due_soon": "Due soon",
    "waiting": "Waiting on customer",
    "escalated": "Escalated",
    "triage": "Triage",
    "all": "All",
}


@require_roles(*READ_ROLES)
def case_queue(request: HttpRequest) -> HttpResponse:
    name = request.GET.get("queue") or "mine"
    name = name if name in QUEUE_LABELS else "mine"
    now = timezone.now()
    page = Paginator(selectors.queue(name, user=request.user, now=now), 50).get_page(
        request.GET.get("page")
    )
    rows = [(case, selectors.sla_state(case, now=now)) for case in page]
    return render(
        request,
        "cases/queue.html",
        {
            "queue": name,
            "queues": QUEUE_LABELS.items(),
            "page": page,
            "rows": rows,
            "filters": f"queue={name}",
        },
    )


@require_roles(*READ_ROLES)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.get_case(reference=reference)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "sla": selectors.sla_state(case),
            "may_act": user_has_role(request.user, SUPPORT_ROLES),
            "canned": CannedResponse.objects.filter(language=case.language),
            "priorities": CasePriority.choices,
            "categories": CaseCategory.choices,
            "close_reasons": [
                (v, label)
                for v, label in CloseReason.choices
                if v in ("merged", "duplicate", "spam")
            ],
            "resolvable": case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED),
            "pending_escalations": pending_escalations(case),
            "history": events_for(object_type="case", object_id=case.reference).order_by("pk"),
        },
    )


@require_POST
@require_roles(*SUPPORT_ROLES)
def case_act(request: HttpRequest, reference: str) -> HttpResponse:
    """One action of the case page (reply, note, assign, priority, category, resolve, close,
    identify customer); a refusal is shown, nothing changes. Escalating is the escalations
    app's page ("Escalate to 21Vianet…"): it makes the escalation record."""
    case = selectors.get_case(reference=reference)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, "Unknown action.")
    else:
        try:
            done = action(case=case, data=request.POST, user=request.user)
        except (CaseError, CaseActionError, TransitionError, ValueError) as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, done)
    return redirect("cases:case_detail", reference=case.reference)


@require_roles(*READ_ROLES)
def sla_report(request: HttpRequest) -> HttpResponse:
    try:
        month = dt.date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    return render(
        request,
        "cases/sla_report.html",
        {"month": month, "rows": selectors.sla_figures(month=month)},
    )


@require_roles(*READ_ROLES)
def canned_responses(request: HttpRequest) -> HttpResponse:
    """The replies staff start from, one per name and language (the case page shows those in
    the case's language)."""
    if request.method == "POST":
        if not user_has_role(request.user, SUPPORT_ROLES):
            return HttpResponse(status=403)
        try:
            do_save_canned_response(
                name=request.POST.get("name", ""),
                language=request.POST.get("language", ""),
                body=request.POST.get("body", ""),
                actor=request.user.username,
            )
        except CaseError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Canned response saved.")
        return redirect("cases:canned_responses")
    return render(
        request,
        "cases/canned_responses.html",
        {
            "responses": CannedResponse.objects.all(),
            "languages": settings.LANGUAGES,
            "may_edit": user_has_role(request.user, SUPPORT_ROLES),
        },
    )


@require_roles(*READ_ROLES)
def attachment(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    """An attachment of the case, from the uploads storage, always as a download (never shown
    inline: its type is the sender's word)."""
    kept = selectors.get_attachment(reference=reference, pk=pk)
    return FileResponse(
        storages["uploads"].open(kept.storage_name),
        as_attachment=True,
        filename=kept.filename,
        content_type="application/octet-stream",
    )
