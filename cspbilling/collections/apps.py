"""collections: versioned collections policies, acknowledgements, dunning state and actions,
promises to pay, exemptions (daily run; approvals; reinstatement)."""

from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "cspbilling.collections"
    label = "collections"
    verbose_name = "Collections"

    def ready(self) -> None:
        from cspbilling.collections.tasks import money_changed
        from cspbilling.payments.reevaluation import on_money_changed

        on_money_changed(money_changed)
