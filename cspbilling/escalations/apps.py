from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "cspbilling.escalations"
    label = "escalations"
    verbose_name = "Escalations to 21Vianet"

    def ready(self) -> None:
        from cspbilling.escalations import hooks, tasks  # noqa: F401  (registers hooks and jobs)

        hooks.register()
