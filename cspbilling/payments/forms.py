"""Console forms of payments: they read what was typed; the services decide what is valid."""

from __future__ import annotations

from django import forms

from cspbilling.payments.models import PaymentMethod


class PaymentForm(forms.Form):
    customer = forms.UUIDField(label="Customer (tenant id)")
    amount = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.CharField(max_length=3, initial="CNY")
    received_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    reference = forms.CharField(max_length=140, required=False, label="Payer's reference")
    allocate = forms.ChoiceField(
        choices=[("oldest", "Open invoices, oldest due first"), ("none", "Keep as credit")],
        initial="oldest",
        widget=forms.RadioSelect,
    )


class AllocateForm(forms.Form):
    invoice = forms.CharField(max_length=32, label="Invoice number")
    amount = forms.CharField(max_length=40)


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=500)


class RefundForm(forms.Form):
    amount = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    currency = forms.CharField(max_length=3, widget=forms.HiddenInput)
    refunded_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    reference = forms.CharField(max_length=140, required=False, label="Our transfer reference")
    reason = forms.CharField(max_length=500)
