"""The Librarians and Auditors groups and their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LIBRARIAN_MODELS = {
    "library": ["author", "book", "borrow"],
    "accounts": ["user"],
}
# Read-only windows for both roles: history, tokens, lockouts, task results.
VIEW_ONLY_APPS = ["library", "accounts", "knox", "axes", "django_celery_results", "auth"]
LIBRARIAN_EXTRA_CODENAMES = {
    "axes": ["delete_accessattempt"],  # unlocking a patron who forgot their password
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    view_permissions = Permission.objects.filter(
        content_type__app_label__in=VIEW_ONLY_APPS, codename__startswith="view_"
    )
    auditors, _ = Group.objects.get_or_create(name="Auditors")
    auditors.permissions.set(view_permissions)

    librarians, _ = Group.objects.get_or_create(name="Librarians")
    librarian_permissions = list(view_permissions)
    for app_label, models in LIBRARIAN_MODELS.items():
        for model in models:
            librarian_permissions += Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{verb}_{model}" for verb in ("add", "change", "delete")],
            )
    for app_label, codenames in LIBRARIAN_EXTRA_CODENAMES.items():
        librarian_permissions += Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
    librarians.permissions.set(librarian_permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Auditors", "Librarians"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("library", "0001_initial"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
        ("knox", "__latest__"),
        ("axes", "__latest__"),
        ("django_celery_results", "__latest__"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
