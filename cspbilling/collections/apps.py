"""collections: versioned collections policies, acknowledgements, dunning state and actions,
promises to pay, exemptions (daily run; approvals; reinstatement)."""

from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "cspbilling.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from cspbilling.collections.document import invoice_policy_line
        from cspbilling.collections.tasks import money_changed
        from cspbilling.invoicing.hooks import provide_policy_line
        from cspbilling.payments.reevaluation import on_money_changed

        on_money_changed(money_changed)
        provide_policy_line(invoice_policy_line)
