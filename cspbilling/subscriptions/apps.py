from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "cspbilling.subscriptions"
    label = "subscriptions"
