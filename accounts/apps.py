from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Patrons and staff"

    def ready(self):
        from . import schema, signals  # noqa: F401
