from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "cspbilling.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing"
