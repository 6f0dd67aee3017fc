from django.apps import AppConfig


class PartnercenterConfig(AppConfig):
    name = "cspbilling.partnercenter"
    label = "partnercenter"
