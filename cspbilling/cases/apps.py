from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cspbilling.cases"
    label = "cases"
    verbose_name = "Billing support cases"

    def ready(self) -> None:
        from cspbilling.cases import tasks  # noqa: F401  (registers the periodic jobs)
