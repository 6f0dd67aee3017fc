"""The form staff set a day of the business calendar with; the service decides what is valid."""

from __future__ import annotations

from django import forms

from cspbilling.workdays.models import DayKind


class CalendarDayForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(choices=DayKind.choices)
    reason = forms.CharField(max_length=200)
