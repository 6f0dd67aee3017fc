from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cspbilling.core"
    label = "core"
