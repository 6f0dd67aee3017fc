from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cspbilling.core.money import MINOR_UNITS
from cspbilling.customers.billing_settings import MAX_PAYMENT_TERMS_DAYS
from cspbilling.customers.models import Language
from cspbilling.customers.validators import validate_unified_social_credit_code


class CustomerBillingSettingsForm(forms.Form):
    legal_name = forms.CharField(label=_("Legal name"), max_length=255, required=False)
    tax_id = forms.CharField(
        label=_("Tax id (unified social credit code)"),
        max_length=18,
        required=False,
        help_text=_("18 characters, e.g. 91350100M000100Y43."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in MINOR_UNITS])
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=MAX_PAYMENT_TERMS_DAYS
    )

    def clean_tax_id(self) -> str:
        code = self.cleaned_data["tax_id"].strip().upper()
        if code:
            validate_unified_social_credit_code(code)
        return code
