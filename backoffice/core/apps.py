from django.apps import AppConfig


class CoreConfig(AppConfig):
    """An app only for the tables shared code needs (the rate-limit counters)."""

    name = "backoffice.core"
    label = "core"
    verbose_name = "Shelfwise core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.core.changelist import reuse_changelist_headers

        reuse_changelist_headers()
