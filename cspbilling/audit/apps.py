from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cspbilling.audit"
    label = "audit"
