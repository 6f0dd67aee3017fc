"""The admin site: administrators only (the models are registered read-only in ops/admin.py).

Kept apart from admin.py: Django creates the site lazily by importing this class, and admin.py
touches the site at import time.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class AdministratorsOnlySite(admin.AdminSite):
    site_header = "cspbilling: raw tables (read-only)"
    site_title = "cspbilling admin"
    index_title = "Tables"

    def has_permission(self, request: HttpRequest) -> bool:
        from cspbilling.accounts.models import Role

        user = request.user
        return bool(user.is_active and getattr(user, "role", None) == Role.ADMIN)
