"""The customer's billing cases in the portal: list, open one (about an invoice line), read the
public conversation, reply, confirm or reopen a resolution, rate it; and the signed links of
case emails, which work without signing in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_POST

from cspbilling.cases import selectors
from cspbilling.cases.links import BadLink, read_token
from cspbilling.cases.models import CaseCategory, CaseStatus, Channel
from cspbilling.cases.services import (
    CaseError,
    do_confirm_resolution,
    do_open_case,
    do_rate_case,
    do_record_customer_message,
    do_reopen_case,
)
from cspbilling.cases.texts import PORTAL_CATEGORIES, TEXTS
from cspbilling.escalations import selectors as escalation_selectors
from cspbilling.portal.access import portal_view


class NewCaseForm(forms.Form):
    category = forms.ChoiceField(choices=())
    line = forms.TypedChoiceField(choices=(), coerce=int, required=False)
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(k, str(v)) for k, v in PORTAL_CATEGORIES.items()]
        self.fields["line"].choices = [("", "—")] + [
            (line.pk, f"{line.offer_name} · {line.charge_type} · {line.quantity.normalize()}")
            for line in lines
        ]
        if not lines:
            del self.fields["line"]


@portal_view
def cases(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    rows = selectors.cases_for_customer(customer=customer)
    return render(request, "cases/portal/cases.html", {"customer": customer, "cases": rows})


@portal_view
def case_new(request: HttpRequest) -> HttpResponse:
    customer = request.user.customer
    number = request.GET.get("invoice") or request.POST.get("invoice") or ""
    lines = selectors.invoice_lines_for_customer(customer=customer, number=number) if number else []
    chosen = request.GET.get("line") or request.POST.get("line")
    line = (
        selectors.invoice_line_for_customer(customer=customer, line_id=chosen) if chosen else None
    )
    initial = {"category": CaseCategory.INVOICE_QUESTION, "line": line.pk if line else None}
    if line is not None or number:
        initial["subject"] = f"{line.invoice.number}: {line.offer_name}" if line else number
    form = NewCaseForm(request.POST or None, initial=initial, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            case = do_open_case(
                customer=customer,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                category=form.cleaned_data["category"],
                channel=Channel.PORTAL,
                actor=request.user.username,
                contact_email=request.user.email or "",
                contact_name=request.user.get_full_name(),
                invoices=[lines[0].invoice] if lines else [],
                invoice_lines=[line] if line else [],
            )
        except CaseError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("portal:case_detail", reference=case.reference)
    return render(
        request,
        "cases/portal/case_new.html",
        {"customer": customer, "form": form, "line": line, "invoice_number": number},
    )


@portal_view
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    customer = request.user.customer
    case = selectors.get_case_for_customer(customer=customer, reference=reference)
    return render(
        request,
        "cases/portal/case_detail.html",
        {
            "customer": customer,
            "case": case,
            "conversation": selectors.public_messages(case),
            "resolved": case.status == CaseStatus.RESOLVED,
            "ratings": (5, 4, 3, 2, 1),
            # Sections other apps add to the case page: (template, what it shows).
            "sections": [
                (
                    "escalations/portal/_case_escalations.html",
                    escalation_selectors.for_customer_case(case=case),
                )
            ],
        },
    )


@require_POST
@portal_view
def case_respond(request: HttpRequest, reference: str) -> HttpResponse:
    """The customer's reply, confirmation, reopening or rating from the case page."""
    customer = request.user.customer
    case = selectors.get_case_for_customer(customer=customer, reference=reference)
    action, actor = request.POST.get("action"), request.user.username
    try:
        if action == "reply":
            do_record_customer_message(
                case=case,
                body=request.POST.get("body", ""),
                author=request.user.email or actor,
                channel=Channel.PORTAL,
                actor=actor,
            )
        elif action == "confirm":
            do_confirm_resolution(case=case, actor=actor, channel=Channel.PORTAL)
        elif action == "reopen":
            do_reopen_case(case=case, actor=actor, channel=Channel.PORTAL)
        elif action == "rate":
            do_rate_case(case=case, rating=int(request.POST.get("rating", "0")), actor=actor)
        else:
            messages.error(request, str(TEXTS["unknown_action"]))
    except (CaseError, ValueError) as exc:
        messages.error(request, str(exc))
    return redirect("portal:case_detail", reference=case.reference)


def case_action(request: HttpRequest, token: str) -> HttpResponse:
    """A signed link from a case email. Rating is one click (GET); confirming and reopening
    ask for a click on the page (POST), so a mail scanner fetching links changes nothing."""
    from cspbilling.cases.models import Case

    try:
        link = read_token(token)
        case = Case.objects.select_related("customer").get(reference=link["reference"])
    except (BadLink, Case.DoesNotExist) as exc:
        return render(request, "cases/portal/case_action.html", {"error": str(exc)}, status=400)
    translation.activate(case.language)
    request.LANGUAGE_CODE = case.language
    done, error = "", ""
    try:
        if link["action"] == "rate":
            do_rate_case(case=case, rating=link["rating"], actor=case.contact_email or "link")
            done = "rated"
        elif request.method == "POST":
            if link["action"] == "confirm":
                do_confirm_resolution(
                    case=case, actor=case.contact_email or "link", channel="email"
                )
            else:
                do_reopen_case(case=case, actor=case.contact_email or "link", channel="email")
            done = link["action"]
    except CaseError as exc:
        error = str(exc)
    case.refresh_from_db()
    return render(
        request,
        "cases/portal/case_action.html",
        {"case": case, "action": link["action"], "done": done, "error": error},
    )
