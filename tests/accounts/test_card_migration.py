"""The data migration that gives every existing account a library card."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from stdnum import luhn

BEFORE = [("accounts", "0003_username_unique_ignoring_case")]
AFTER = [("accounts", "0004_library_cards")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_accounts_get_distinct_valid_cards():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        OldUser = old_apps.get_model("accounts", "User")
        for n in range(25):
            OldUser.objects.create(username=f"reader{n}", password="!")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new_apps = executor.loader.project_state(AFTER).apps
        cards = list(
            new_apps.get_model("accounts", "User").objects.values_list("card_number", flat=True)
        )
        assert len(cards) == 25 and len(set(cards)) == 25
        assert all(len(card) == 14 and luhn.is_valid(card) for card in cards)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
