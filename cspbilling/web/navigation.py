"""The staff console's navigation: (label, url name, roles allowed). Apps append their entries.

Labels are marked with gettext_noop and translated when the menu is drawn.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop as _

from cspbilling.accounts.permissions import ADMIN_ROLES, MONEY_ROLES, READ_ROLES, user_has_role

NAVIGATION: list[tuple[str, str, frozenset[str]]] = [
    (_("Dashboard"), "web:dashboard", READ_ROLES),
    (_("Customers"), "web:customer_list", READ_ROLES),
    (_("Support cases"), "cases:queue", READ_ROLES),
    (_("Escalations"), "escalations:list", READ_ROLES),
    (_("Invoices"), "invoicing:invoice_list", READ_ROLES),
    (_("Credit notes"), "invoicing:credit_note_list", READ_ROLES),
    (_("Fapiao"), "invoicing:fapiao_list", READ_ROLES),
    (_("Payments"), "payments:payment_list", READ_ROLES),
    (_("Bank statements"), "payments:statements", READ_ROLES),
    (_("Receivables aging"), "payments:aging", READ_ROLES),
    (_("Cash position"), "payments:cash", MONEY_ROLES),
    (_("Margin"), "payments:margin", READ_ROLES),
    (_("Price rules"), "invoicing:price_rules", READ_ROLES),
    (_("Upstream invoices"), "upstream:invoice_list", READ_ROLES),
    (_("Payables"), "upstream:payables", MONEY_ROLES),
    (_("Discrepancies"), "upstream:discrepancies", READ_ROLES),
    (_("Collections"), "collections:overview", READ_ROLES),
    (_("Collections policies"), "collections:policies", READ_ROLES),
    (_("Suspensions"), "subscriptions:suspension_list", READ_ROLES),
    (_("Partner Center sync"), "sync:status", READ_ROLES),
    (_("Business calendar"), "workdays:calendar", READ_ROLES),
    (_("Outbox"), "notifications:message_list", READ_ROLES),
    (_("Audit log"), "audit:event_list", READ_ROLES),
    (_("People"), "accounts:people", ADMIN_ROLES),
]


def navigation_for(user, current_path: str = "") -> list[dict]:
    """The entries this user may see whose pages exist, with the current one marked."""
    items = []
    for label, url_name, roles in NAVIGATION:
        if not user_has_role(user, roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that page is not built yet
        items.append({"label": label, "url": url})
    # The longest matching prefix is the current page ("/console/" would match everything).
    best = max(
        (item for item in items if current_path.startswith(item["url"])),
        key=lambda item: len(item["url"]),
        default=None,
    )
    for item in items:
        item["active"] = item is best
    return items
