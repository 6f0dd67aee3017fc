"""Fixtures for API tests: a token per role, and an invoice imported by the real import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cspbilling.accounts.permissions import READ_ROLES
from cspbilling.upstream.services import do_import_reconciliation_file

STAFF = sorted(str(role) for role in READ_ROLES)  # admin, finance, readonly, support


@pytest.fixture
def tokens(staff_users, portal_user_a, api_token_for) -> dict[str, str]:
    """{role: raw token} for every staff role, and "portal" for customer A's portal user."""
    found = {role: api_token_for(user) for role, user in staff_users.items()}
    found["portal"] = api_token_for(portal_user_a)
    return found


@pytest.fixture
def imported_invoice(license_file):
    """D02005YFHI: 3 license lines of 319.59 CNY, total 958.77, imported on 2024-03-01."""
    batch = do_import_reconciliation_file(
        path=license_file,
        actor="tests",
        invoice_total=Decimal("958.77"),
        invoice_date=dt.date(2024, 3, 1),
    )
    assert batch.status == "imported"
    return batch
