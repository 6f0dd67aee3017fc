from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "cspbilling.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from cspbilling.invoicing.hooks import on_credit_note_issued, on_invoice_issued
        from cspbilling.payments.services import invoice_events

        on_invoice_issued(invoice_events.invoice_issued)
        on_credit_note_issued(invoice_events.credit_note_issued)
