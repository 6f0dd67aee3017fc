from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OpsConfig(AppConfig):
    """Wires the domains together: the demo, the worker, the web server. Sits above every app."""

    name = "cspbilling.ops"
    label = "ops"


class CspbillingAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site: read-only, administrators only (ops/admin.py)."""

    default = False
    default_site = "cspbilling.ops.admin_site.AdministratorsOnlySite"
