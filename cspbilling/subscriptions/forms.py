from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cspbilling.subscriptions.models import SuspensionReason, SuspensionStatus


class SuspendForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=SuspensionReason.choices)
    note = forms.CharField(
        label=_("Note for the record"), required=False, max_length=2000, widget=forms.Textarea
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that the customer's users lose access, and that its data is "
            "deleted if the subscription is not reactivated in time."
        ),
        required=True,
    )


class ReactivateForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the record"), required=False, max_length=2000, widget=forms.Textarea
    )


class SuspensionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Any reason")), *SuspensionReason.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            (SuspensionStatus.REQUESTED, SuspensionStatus.REQUESTED.label),
            (SuspensionStatus.SUSPENDED, SuspensionStatus.SUSPENDED.label),
            (
                SuspensionStatus.REACTIVATION_REQUESTED,
                SuspensionStatus.REACTIVATION_REQUESTED.label,
            ),
            (SuspensionStatus.FAILED, SuspensionStatus.FAILED.label),
        ],
    )
