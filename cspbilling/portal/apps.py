from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "cspbilling.portal"
    label = "portal"
