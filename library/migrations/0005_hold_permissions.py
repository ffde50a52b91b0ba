"""Librarians manage holds (place, cancel); auditors read them and their history."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LIBRARIAN_CODENAMES = ["view_hold", "add_hold", "change_hold", "view_historicalhold"]
AUDITOR_CODENAMES = ["view_hold", "view_historicalhold"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("library")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in (
        ("Librarians", LIBRARIAN_CODENAMES),
        ("Auditors", AUDITOR_CODENAMES),
    ):
        group = Group.objects.filter(name=group_name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="library", codename__in=codenames
                )
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="library", codename__endswith="hold").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0004_holds_renewals_and_held_copies"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
