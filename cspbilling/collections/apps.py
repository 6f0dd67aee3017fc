from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "cspbilling.collections"
    label = "collections"
    verbose_name = "Collections"
