from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cspbilling.api"
    label = "api"
