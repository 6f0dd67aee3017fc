"""The staff console's navigation: (label, url name, roles allowed). Apps append their entries."""

from __future__ import annotations

from cspbilling.accounts.permissions import MONEY_ROLES, READ_ROLES

NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    ("Customers", "web:customer_list", READ_ROLES),
    ("Upstream invoices", "upstream:invoice_list", READ_ROLES),
    ("Payables", "upstream:payables", MONEY_ROLES),
    ("Discrepancies", "upstream:discrepancies", READ_ROLES),
]
