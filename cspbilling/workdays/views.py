"""The business calendar in the console: every staff role reads it; administrators and finance
set days (collections counts its stages on it, so it decides when customers are reminded and
suspended; cases count SLAs on it)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES, require_roles, user_has_role
from cspbilling.workdays import selectors
from cspbilling.workdays.forms import CalendarDayForm
from cspbilling.workdays.services import CalendarError, do_remove_calendar_day, do_set_calendar_day


def _year(text: str | None) -> int:
    try:
        year = int(text or "")
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@require_roles(*READ_ROLES)
def calendar_page(request: HttpRequest) -> HttpResponse:
    may_edit = user_has_role(request.user, MONEY_ROLES)
    form = CalendarDayForm(request.POST or None)
    year = _year(request.GET.get("year"))
    if request.method == "POST":
        if not may_edit:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                do_set_calendar_day(
                    day=data["day"],
                    kind=data["kind"],
                    reason=data["reason"],
                    actor=request.user.username,
                )
            except CalendarError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"{data['day']:%Y-%m-%d} set.")
                return redirect(f"{request.path}?year={data['day'].year}")
    return render(
        request,
        "workdays/calendar.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "days": selectors.notable_days(year),
            "form": form,
            "may_edit": may_edit,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@require_roles(*MONEY_ROLES)
def remove_day(request: HttpRequest, day: str) -> HttpResponse:
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        return HttpResponse(status=404)
    if do_remove_calendar_day(day=when, actor=request.user.username):
        messages.success(request, f"{when:%Y-%m-%d} follows the official calendar again.")
    return redirect(f"/console/calendar/?year={when.year}")
