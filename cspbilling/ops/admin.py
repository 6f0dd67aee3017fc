"""Django's admin as a read-only window on every table of ours, for administrators only.

The console is where work is done (through services, with audit events); the admin only lets an
administrator look at raw rows when something needs explaining. Nothing can be added, changed or
deleted here, and secrets (password and token hashes) are never shown.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

SECRET_FIELDS = {"password", "token_hash", "hash_of_secret"}
LIST_COLUMNS = 6


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name not in SECRET_FIELDS]

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None):
        return self.get_fields(request, obj)

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return self.get_fields(request)[:LIST_COLUMNS]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None):
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None):
        return False


def register_every_model(site: admin.AdminSite) -> None:
    for config in apps.get_app_configs():
        if not config.name.startswith("cspbilling."):
            continue
        for model in config.get_models():
            if not site.is_registered(model):
                site.register(model, ReadOnlyAdmin)


register_every_model(admin.site)
