"""Our own billing fields on a customer (never touched by the Partner Center sync): which they
are and how input is cleaned. `customers.services` changes them."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from cspbilling.core.money import MINOR_UNITS, MoneyError, normalise_currency
from cspbilling.customers.models import FapiaoPreference, Language
from cspbilling.customers.validators import validate_unified_social_credit_code

BILLING_SETTINGS_FIELDS = (
    "legal_name",
    "tax_id",
    "language",
    "currency",
    "payment_terms_days",
    "fapiao_kind",
    "registered_address",
    "registered_phone",
    "bank_name",
    "bank_account",
)
TEXT_LIMITS = {
    "registered_address": 255,
    "registered_phone": 50,
    "bank_name": 100,
    "bank_account": 64,
}
MAX_PAYMENT_TERMS_DAYS = 365


def clean_billing_settings(fields: dict, *, current_tax_id: str = "") -> dict:
    """The fields, cleaned; ValidationError (by field) for any bad or unknown one.
    `current_tax_id` is the customer's, for a change that asks for special fapiaos only."""
    unknown = set(fields) - set(BILLING_SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(
            f"not a billing setting: {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(BILLING_SETTINGS_FIELDS)})"
        )
    errors: dict[str, list] = {}
    cleaned = dict(fields)
    if "legal_name" in cleaned:
        cleaned["legal_name"] = (cleaned["legal_name"] or "").strip()
        if len(cleaned["legal_name"]) > 255:
            errors["legal_name"] = ["The legal name is longer than 255 characters."]
    if "tax_id" in cleaned:
        code = (cleaned["tax_id"] or "").strip().upper()
        if code:
            try:
                validate_unified_social_credit_code(code)
            except ValidationError as exc:
                errors["tax_id"] = exc.messages
        cleaned["tax_id"] = code
    if "language" in cleaned and cleaned["language"] not in Language.values:
        errors["language"] = [f"Unknown language {cleaned['language']!r}."]
    if "currency" in cleaned:
        try:
            cleaned["currency"] = normalise_currency(cleaned["currency"])
        except MoneyError as exc:
            errors["currency"] = [str(exc)]
        else:
            if cleaned["currency"] not in MINOR_UNITS:
                errors["currency"] = [
                    f"{cleaned['currency']} is not a currency we bill in "
                    f"({', '.join(MINOR_UNITS)})."
                ]
    if "payment_terms_days" in cleaned:
        try:
            days = int(cleaned["payment_terms_days"])
        except (TypeError, ValueError):
            errors["payment_terms_days"] = ["Payment terms must be a whole number of days."]
        else:
            if not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
                errors["payment_terms_days"] = [
                    f"Payment terms must be between 0 and {MAX_PAYMENT_TERMS_DAYS} days."
                ]
            cleaned["payment_terms_days"] = days
    for name, limit in TEXT_LIMITS.items():
        if name in cleaned:
            cleaned[name] = " ".join((cleaned[name] or "").split())  # one line, as printed
            if len(cleaned[name]) > limit:
                errors[name] = [f"At most {limit} characters."]
    if "fapiao_kind" in cleaned:
        cleaned["fapiao_kind"] = cleaned["fapiao_kind"] or ""
        if cleaned["fapiao_kind"] not in ("", *FapiaoPreference.values):
            errors["fapiao_kind"] = [f"Unknown fapiao kind {cleaned['fapiao_kind']!r}."]
        tax_id = cleaned.get("tax_id", current_tax_id)
        if cleaned["fapiao_kind"] == FapiaoPreference.SPECIAL and not tax_id:
            errors["fapiao_kind"] = [
                "A special VAT fapiao needs the customer's unified social credit code."
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned
