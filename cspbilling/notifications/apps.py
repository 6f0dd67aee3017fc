from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "cspbilling.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Each app's tasks.py registers its outbox commands and periodic jobs on import.
        autodiscover_modules("tasks")
