import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower

import accounts.models


def refuse_existing_clashes(apps, schema_editor):
    # Creating the index over clashing rows would fail with a bare IntegrityError; name
    # them instead, so an administrator can rename one of each pair and migrate again.
    User = apps.get_model("accounts", "User")
    clashes = (
        User.objects.annotate(folded=Lower("username"))
        .values("folded")
        .annotate(accounts=Count("id"))
        .filter(accounts__gt=1)
        .values_list("folded", flat=True)
    )
    if clashes:
        names = sorted(
            User.objects.annotate(folded=Lower("username"))
            .filter(folded__in=list(clashes))
            .values_list("username", flat=True)
        )
        raise RuntimeError(
            "These usernames differ only in case, which is no longer allowed; rename one of "
            f"each before migrating: {', '.join(names)}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", accounts.models.UserManager()),
            ],
        ),
        migrations.RunPython(refuse_existing_clashes, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=(
                    "A user with that username already exists (usernames ignore case)."
                ),
            ),
        ),
    ]
