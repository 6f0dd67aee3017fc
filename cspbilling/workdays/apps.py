from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "cspbilling.workdays"
    label = "workdays"
    verbose_name = "Business calendar"
