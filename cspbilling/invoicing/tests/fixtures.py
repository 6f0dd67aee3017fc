"""Fixtures of invoicing tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cspbilling.invoicing.models import TaxCategory


@pytest.fixture
def cloud(db) -> TaxCategory:
    """The cloud services tax category (6%). A migration adds it; a transactional test's flush
    removes it for the tests after it, so it is put back here."""
    category, _ = TaxCategory.objects.get_or_create(
        code="cloud-services", defaults={"name": "Cloud services", "rate": Decimal("0.0600")}
    )
    return category
