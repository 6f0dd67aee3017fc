"""Staff console pages of escalations: the list (age, upstream status, next reminder; per
customer), escalating a case, the escalation page (the prepared request with a copy button per
field, the portal steps, the ticket number, 21Vianet's answers, the outcome) and the report.
Every staff role reads; support, finance and admins act; only finance and admins decide money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import (
    MONEY_ROLES,
    READ_ROLES,
    SUPPORT_ROLES,
    require_roles,
    user_has_role,
)
from cspbilling.audit.selectors import events_for
from cspbilling.cases.selectors import get_case
from cspbilling.core.transitions import TransitionError
from cspbilling.customers.models import Customer
from cspbilling.escalations import selectors
from cspbilling.escalations.models import Cause, EscalationStatus, Severity
from cspbilling.escalations.request_text import PORTAL_STEPS_ZH
from cspbilling.escalations.services import (
    AlreadyEscalated,
    EscalationError,
    do_accept_larger_credit,
    do_cancel_escalation,
    do_edit_request,
    do_escalate_case,
    do_file_through_api,
    do_record_information_given,
    do_record_rejected,
    do_record_ticket_number,
    do_record_upheld,
    do_record_upstream_answer,
    do_reject_credit_line,
    do_withdraw_escalation,
)
from cspbilling.escalations.services.withdrawal import still_to_do
from cspbilling.partnercenter.errors import PartnerCenterError

NAV_LABEL = gettext_noop("Escalations")


@require_roles(*READ_ROLES)
def escalation_list(request: HttpRequest) -> HttpResponse:
    customer = None
    if request.GET.get("customer"):
        customer = Customer.objects.filter(tenant_id=request.GET["customer"]).first()
    status = request.GET.get("status", "open")
    rows = [
        (e, selectors.age_days(e))
        for e in selectors.escalations(status=status, customer=customer)[:200]
    ]
    return render(
        request,
        "escalations/list.html",
        {
            "rows": rows,
            "status": status,
            "customer": customer,
            "statuses": [
                ("open", "Open"),
                ("credit_to_check", "Credit to check"),
                ("", "All"),
                *EscalationStatus.choices,
            ],
        },
    )


@require_roles(*SUPPORT_ROLES)
def escalation_new(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = get_case(reference=case_reference)
    if request.method == "POST":
        typed = request.POST.get("lines", "").replace(",", " ").split()
        ids = [int(x) for x in typed if x.isdigit()]
        try:
            escalation = do_escalate_case(
                case=case,
                actor=request.user.username,
                cause=request.POST.get("cause", Cause.OTHER),
                severity=request.POST.get("severity", Severity.MODERATE),
                upstream_line_ids=ids or None,
                checked=request.POST.get("checked", ""),
                asked=request.POST.get("asked", ""),
            )
        except AlreadyEscalated as refusal:
            messages.error(request, str(refusal))
            return redirect("escalations:detail", reference=refusal.existing.reference)
        except (EscalationError, TransitionError) as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"{escalation.reference} prepared: check it, then file it.")
            return redirect("escalations:detail", reference=escalation.reference)
    return render(
        request,
        "escalations/new.html",
        {"case": case, "causes": Cause.choices, "severities": Severity.choices},
    )


@require_roles(*READ_ROLES)
def escalation_detail(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = selectors.get_escalation(reference=reference)
    return render(
        request,
        "escalations/detail.html",
        {
            "escalation": escalation,
            "age": selectors.age_days(escalation),
            "steps": PORTAL_STEPS_ZH,
            "severities": Severity.choices,
            "may_act": user_has_role(request.user, SUPPORT_ROLES),
            "may_decide": user_has_role(request.user, MONEY_ROLES),
            "still_to_do": still_to_do(escalation) if escalation.status == "withdrawn" else "",
            "notes": escalation.case.messages.filter(visibility="internal").order_by("pk"),
            "history": events_for(object_type="escalation", object_id=reference).order_by("pk"),
            "flagged_held": selectors.flagged_line_held(escalation),
        },
    )


@require_roles(*READ_ROLES)
def escalation_csv(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = selectors.get_escalation(reference=reference)
    response = HttpResponse("\ufeff" + escalation.lines_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{reference}-lines.csv"'
    return response


def _decimal(text: str) -> Decimal:
    try:
        return Decimal((text or "").strip())
    except InvalidOperation:
        raise EscalationError(f"{text!r} is not an amount") from None


MONEY_ACTIONS = ("upheld", "rejected", "accept_credit", "reject_credit")


def _line_id(text: str, *, required: bool) -> int | None:
    text = (text or "").strip()
    if not text and not required:
        return None
    if not text.isdigit():
        raise EscalationError(f"{text!r} is not an upstream line id" if text else "name the line")
    return int(text)


def _act(action: str, escalation, data, user) -> str:
    actor = user.username
    if action == "ticket":
        do_record_ticket_number(
            escalation=escalation, ticket_number=data.get("ticket", ""), actor=actor
        )
        return f"Filed: ticket {data.get('ticket', '').strip()}."
    if action == "file_api":
        done = do_file_through_api(escalation=escalation, actor=actor)
        if done.status != EscalationStatus.FILED:
            raise EscalationError(f"not filed yet: {done.filing_error} (the worker retries)")
        return f"Filed through the API: ticket {done.ticket_number}."
    if action == "edit":
        do_edit_request(
            escalation=escalation,
            actor=actor,
            title=data.get("title", ""),
            description=data.get("description", ""),
            severity=data.get("severity", ""),
        )
        return "Request updated."
    if action == "answer":
        do_record_upstream_answer(
            escalation=escalation,
            text=data.get("text", ""),
            actor=actor,
            requests_information=bool(data.get("asks")),
        )
        return "21Vianet's answer recorded (internal note on the case)."
    if action == "info_given":
        do_record_information_given(escalation=escalation, text=data.get("text", ""), actor=actor)
        return "Recorded: waiting on 21Vianet again."
    if action == "cancel":
        do_cancel_escalation(escalation=escalation, actor=actor, reason=data.get("reason", ""))
        return "Cancelled: the case is yours again."
    if action == "withdraw":
        done = do_withdraw_escalation(
            escalation=escalation, reason=data.get("reason", ""), actor=actor
        )
        return f"Withdrawn: the case is yours again. {still_to_do(done)}"
    if action in MONEY_ACTIONS and not user_has_role(user, MONEY_ROLES):
        raise EscalationError("only finance or an admin records 21Vianet's decision")
    if action == "accept_credit":
        line_id = _line_id(data.get("upstream_line_id", ""), required=False)
        do_accept_larger_credit(escalation=escalation, actor=actor, upstream_line_id=line_id)
        return "Credit accepted: matched, and settled outside billing."
    if action == "reject_credit":
        line_id = _line_id(data.get("upstream_line_id", ""), required=True)
        do_reject_credit_line(
            escalation=escalation,
            upstream_line_id=line_id,
            reason=data.get("reason", ""),
            actor=actor,
        )
        return (
            f"Upstream line {line_id} is not this escalation's credit: billed as usual from the "
            "next billing run."
        )
    if action == "upheld":
        do_record_upheld(
            escalation=escalation,
            promised_credit=_decimal(data.get("amount", "")),
            actor=actor,
            note=data.get("text", ""),
        )
        return "Upheld: the promised credit is recorded."
    if action == "rejected":
        do_record_rejected(escalation=escalation, reason=data.get("text", ""), actor=actor)
        return "Rejected: the hold is lifted and the customer told why."
    raise EscalationError("Unknown action.")


@require_POST
@require_roles(*SUPPORT_ROLES)
def escalation_act(request: HttpRequest, reference: str) -> HttpResponse:
    escalation = selectors.get_escalation(reference=reference)
    try:
        done = _act(request.POST.get("action", ""), escalation, request.POST, request.user)
    except (EscalationError, TransitionError, PartnerCenterError, ValueError) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return redirect("escalations:detail", reference=reference)


@require_roles(*READ_ROLES)
def escalation_report(request: HttpRequest) -> HttpResponse:
    return render(request, "escalations/report.html", {"rows": selectors.report()})
