from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "cspbilling.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        from cspbilling.invoicing import discrepancy_reads
        from cspbilling.upstream.billing_reads import register_billing_reader

        register_billing_reader(discrepancy_reads)
