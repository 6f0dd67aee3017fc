from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "cspbilling.customers"
    label = "customers"
