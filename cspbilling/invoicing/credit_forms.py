"""Console forms for credit notes and fapiaos: they read what was typed; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from cspbilling.invoicing.credits import Creditable
from cspbilling.invoicing.models import FapiaoKind


class CreditForm(forms.Form):
    """A reason, and either everything left or an amount (net) on some lines."""

    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    everything = forms.BooleanField(required=False, label="Credit everything left")

    def __init__(self, *args, lines: list[Creditable], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for item in lines:
            self.fields[f"line_{item.line.pk}"] = forms.DecimalField(
                required=False,
                max_digits=20,
                decimal_places=2,
                label=f"Credit on line {item.line.pk}",
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "class": "amount",
                        "aria-label": f"Credit on line {item.line.pk}",
                    }
                ),
            )

    def rows(self) -> list[tuple[Creditable, forms.BoundField]]:
        return [(item, self[f"line_{item.line.pk}"]) for item in self.lines]

    def amounts(self) -> dict[int, Decimal] | None:
        """None: everything left."""
        if self.cleaned_data["everything"]:
            return None
        return {
            item.line.pk: self.cleaned_data[f"line_{item.line.pk}"]
            for item in self.lines
            if self.cleaned_data.get(f"line_{item.line.pk}") is not None
        }

    def clean(self) -> dict:
        data = super().clean()
        chosen = any(data.get(f"line_{item.line.pk}") is not None for item in self.lines)
        if not data.get("everything") and not chosen:
            raise ValidationError("Give an amount on at least one line, or credit everything.")
        if data.get("everything") and chosen:
            raise ValidationError("Either amounts on lines or everything left, not both.")
        return data


class FapiaoRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=FapiaoKind.choices)


class FapiaoIssuedForm(forms.Form):
    number = forms.CharField(max_length=40, label="Fapiao number (20 digits)")
    issued_on = forms.DateField(label="Issued on", widget=forms.DateInput(attrs={"type": "date"}))


class DiscardForm(forms.Form):
    reason = forms.CharField(max_length=1000)
