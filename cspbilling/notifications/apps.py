from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "cspbilling.notifications"
    label = "notifications"
