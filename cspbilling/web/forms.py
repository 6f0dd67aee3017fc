from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cspbilling.core.money import MINOR_UNITS
from cspbilling.customers.billing_settings import MAX_PAYMENT_TERMS_DAYS
from cspbilling.customers.models import FapiaoPreference, Language
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

    fapiao_kind = forms.ChoiceField(
        label=_("Fapiao"),
        choices=[("", _("None requested")), *FapiaoPreference.choices],
        required=False,
        help_text=_("Requested for every invoice when it is issued."),
    )
    registered_address = forms.CharField(
        label=_("Registered address"), max_length=255, required=False
    )
    registered_phone = forms.CharField(label=_("Registered phone"), max_length=50, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=64, required=False)

    def clean_tax_id(self) -> str:
        code = self.cleaned_data["tax_id"].strip().upper()
        if code:
            validate_unified_social_credit_code(code)
        return code
