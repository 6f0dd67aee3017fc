from __future__ import annotations

from django import forms

from cspbilling.core.money import MoneyError, parse_amount


class UploadForm(forms.Form):
    file = forms.FileField(label="Reconciliation file (CSV)")
    invoice_id = forms.CharField(
        label="Invoice id (if the file has no InvoiceNumber)", required=False, max_length=64
    )
    invoice_total = forms.CharField(label="Invoice total (for the sum check)", required=False)
    invoice_date = forms.DateField(label="Invoice date", required=False)

    def refuse_file(self, reason: str) -> None:
        """The file was refused on its way in: that is its only error (not "required")."""
        self.full_clean()
        self.errors.pop("file", None)
        self.add_error("file", reason)

    def clean_invoice_total(self):
        value = self.cleaned_data["invoice_total"].strip()
        if not value:
            return None
        try:
            return parse_amount(value)
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None


class PaymentForm(forms.Form):
    amount = forms.CharField()
    paid_on = forms.DateField()
    reference = forms.CharField(max_length=100)
    confirm_overpayment = forms.BooleanField(required=False)

    def clean_amount(self):
        try:
            return parse_amount(self.cleaned_data["amount"])
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
