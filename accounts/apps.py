from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Patrons and staff"

    def ready(self):
        from . import signals  # noqa: F401
