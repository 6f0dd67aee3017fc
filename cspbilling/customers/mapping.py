"""From Partner Center customers to the fields we mirror. Pure functions, no database."""

from __future__ import annotations

from typing import Any

from cspbilling.core.attrs import clip, dig

LANGUAGE_BY_CULTURE_PREFIX = {"zh": "zh-hans", "fr": "fr", "en": "en"}


def customer_fields(resource: Any) -> dict[str, Any]:
    """The mirrored fields of one Partner Center customer (never our own fields)."""
    address = dig(resource, "billing_profile", "default_address", default=None)
    return {
        "commerce_id": clip(dig(resource, "commerce_id"), 64),
        "company_name": clip(
            dig(resource, "company_profile", "company_name")
            or dig(resource, "billing_profile", "company_name"),
            255,
        ),
        "domain": clip(dig(resource, "company_profile", "domain"), 255),
        "organization_registration_number": clip(
            dig(resource, "company_profile", "organization_registration_number"), 64
        ),
        "relationship_to_partner": clip(dig(resource, "relationship_to_partner"), 32),
        "associated_partner_id": clip(dig(resource, "associated_partner_id"), 64),
        "culture": clip(dig(resource, "billing_profile", "culture"), 16),
        "country": clip(dig(address, "country"), 2).upper(),
        "region": clip(dig(address, "region"), 100),
        "city": clip(dig(address, "city"), 100),
        "state": clip(dig(address, "state"), 100),
        "address_line1": clip(dig(address, "address_line1"), 255),
        "postal_code": clip(dig(address, "postal_code"), 20),
        "phone_number": clip(dig(address, "phone_number"), 50),
    }


def billing_contact_fields(resource: Any) -> dict[str, Any]:
    profile = dig(resource, "billing_profile", default=None)
    return {
        "first_name": clip(dig(profile, "first_name"), 100),
        "last_name": clip(dig(profile, "last_name"), 100),
        "email": clip(dig(profile, "email"), 254),
        "phone_number": clip(dig(profile, "default_address", "phone_number"), 50),
    }


def language_for_culture(culture: str) -> str:
    """The preferred language a new customer starts with, from its Partner Center culture."""
    return LANGUAGE_BY_CULTURE_PREFIX.get((culture or "zh").split("-")[0].lower(), "en")
