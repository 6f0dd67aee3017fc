from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "cspbilling.invoicing"
    label = "invoicing"
    verbose_name = "Invoicing"

    def ready(self) -> None:
        from cspbilling.invoicing import discrepancy_reads
        from cspbilling.invoicing.services.settlements import retrace_after_import
        from cspbilling.upstream.billing_reads import register_billing_reader
        from cspbilling.upstream.import_listeners import on_lines_imported

        register_billing_reader(discrepancy_reads)
        # Before escalations' (registered later): a re-issued settled credit is settled still.
        on_lines_imported(retrace_after_import)
