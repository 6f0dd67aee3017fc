"""Console forms of invoicing: they read what was typed; the services decide what is valid."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from cspbilling.customers.models import Customer, CustomerGroup
from cspbilling.invoicing.models import PricingMethod, TaxCategory


class PriceRuleForm(forms.Form):
    name = forms.CharField(max_length=200)
    customer = forms.CharField(
        required=False,
        label="Customer (tenant id)",
        help_text="Leave empty for a group or for every customer.",
    )
    group = forms.ModelChoiceField(
        CustomerGroup.objects.all(), required=False, empty_label="— every customer —"
    )
    offer_id = forms.CharField(max_length=128, required=False, label="Offer id")
    durable_offer_id = forms.CharField(max_length=128, required=False, label="Durable offer id")
    method = forms.ChoiceField(choices=PricingMethod.choices, widget=forms.RadioSelect)
    percent = forms.CharField(required=False, label="Markup (+) or discount (−), %")
    unit_price = forms.CharField(required=False, label="Fixed unit price")
    currency = forms.CharField(required=False, max_length=3, initial="CNY")
    tax_category = forms.ModelChoiceField(TaxCategory.objects.all(), empty_label=None)
    effective_from = forms.DateField(label="In effect from", help_text="YYYY-MM-DD")
    effective_to = forms.DateField(
        required=False, label="Through (optional)", help_text="YYYY-MM-DD, inclusive"
    )

    def clean_customer(self) -> Customer | None:
        text = self.cleaned_data["customer"].strip()
        if not text:
            return None
        try:
            return Customer.objects.get(tenant_id=text)
        except (Customer.DoesNotExist, ValidationError, ValueError):
            raise forms.ValidationError(f"No customer has the tenant id {text!r}.") from None

    def rule_fields(self) -> dict:
        return dict(self.cleaned_data)

    def show_refusal(self, refusal: ValidationError) -> None:
        """The service's reasons, on the fields they name."""
        for field, messages in refusal.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class EndRuleForm(forms.Form):
    last_day = forms.DateField(label="Last day in effect")


class GroupForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=255, required=False)


class AssignGroupForm(forms.Form):
    group = forms.ModelChoiceField(
        CustomerGroup.objects.all(), required=False, empty_label="— no group —"
    )


class BillingRunForm(forms.Form):
    period = forms.CharField(label="Month", help_text="YYYY-MM")
    dry_run = forms.BooleanField(required=False, label="Dry run (report only, keep nothing)")

    def clean_period(self) -> dt.date:
        text = self.cleaned_data["period"].strip()
        try:
            return dt.date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError("Give the month as YYYY-MM.") from None
