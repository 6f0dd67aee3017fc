from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cspbilling.web"
    label = "web"
