from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "cspbilling.upstream"
    label = "upstream"
