from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Wires the domains together: the demo, the worker, the web server. Sits above every app."""

    name = "cspbilling.ops"
    label = "ops"
