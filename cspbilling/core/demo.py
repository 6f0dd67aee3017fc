"""Demo data: synced from the sandbox, plus one login per role. Safe to run again."""

from __future__ import annotations

from typing import Any

from cspbilling.accounts.models import Role, User
from cspbilling.customers.models import Customer

DEMO_PASSWORDS: dict[str, tuple[str, str]] = {
    "admin": ("demo-admin-2026", Role.ADMIN),
    "finance": ("demo-finance-2026", Role.FINANCE),
    "support": ("demo-support-2026", Role.SUPPORT),
    "auditor": ("demo-readonly-2026", Role.READ_ONLY),
    "customer": ("demo-customer-2026", Role.CUSTOMER),
}


def load_demo_data(*, stdout: Any = None) -> str:
    from cspbilling.accounts.services import create_user
    from cspbilling.customers.sync import sync_from_partner_center
    from cspbilling.partnercenter.client import PartnerCenterClient

    with PartnerCenterClient.from_settings() as client:
        report = sync_from_partner_center(client=client, actor="demo")
    first_customer = Customer.objects.order_by("id").first()
    for username, (password, role) in DEMO_PASSWORDS.items():
        if User.objects.filter(username=username).exists():
            continue
        create_user(
            username=username,
            password=password,
            role=role,
            customer=first_customer if role == Role.CUSTOMER else None,
            email=f"{username}@demo.cspbilling.localhost",
        )
    return (
        f"{Customer.objects.count()} customers "
        f"({report.customers['created']} new), "
        f"{report.subscriptions['created']} new subscriptions"
    )
