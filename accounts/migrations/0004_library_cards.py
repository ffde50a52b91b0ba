"""Library cards: every account gets a unique card number.

The column is added empty, filled for every existing account with a generated number (one
UPDATE per account, each number checked against those already given out), then made
unique and required. History rows written before cards existed keep an empty card.
"""

from django.db import migrations, models

import accounts.cards


def give_existing_users_cards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    given = set()
    for user in User.objects.filter(card_number__isnull=True).only("pk").iterator():
        number = accounts.cards.card_number_new()
        while number in given:
            number = accounts.cards.card_number_new()
        given.add(number)
        User.objects.filter(pk=user.pk).update(card_number=number)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_username_unique_ignoring_case"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="card_number",
            field=models.CharField(max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="historicaluser",
            name="card_number",
            field=models.CharField(db_index=True, default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(give_existing_users_cards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="card_number",
            field=models.CharField(
                default=accounts.cards.card_number_new,
                help_text="The barcode on the patron's library card. Leave blank for a new number.",
                max_length=32,
                unique=True,
                error_messages={"unique": "Another account already has this card number."},
                validators=[accounts.cards.validate_card_number],
                verbose_name="card number",
            ),
        ),
        migrations.AlterField(
            model_name="historicaluser",
            name="card_number",
            field=models.CharField(
                db_index=True,
                default=accounts.cards.card_number_new,
                help_text="The barcode on the patron's library card. Leave blank for a new number.",
                max_length=32,
                error_messages={"unique": "Another account already has this card number."},
                validators=[accounts.cards.validate_card_number],
                verbose_name="card number",
            ),
        ),
    ]
