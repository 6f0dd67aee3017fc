from django.apps import AppConfig


class SyncConfig(AppConfig):
    """The Partner Center sync: fills the customers and subscriptions mirror (above both apps)."""

    name = "cspbilling.sync"
    label = "sync"
