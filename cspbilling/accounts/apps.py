from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cspbilling.accounts"
    label = "accounts"
