from django.db import migrations, models

# Catalogue search (``?search=`` and the admin's book search) matches substrings of the
# title, the ISBN and the author's name, in any case: Django's icontains is
# ``UPPER(column::text) LIKE UPPER('%word%')``, which a trigram index on UPPER(column) serves.
TRIGRAM_INDEXES = {
    "book_title_trgm_idx": ("library_book", "title"),
    "book_isbn_trgm_idx": ("library_book", "isbn"),
    "author_name_trgm_idx": ("library_author", "name"),
}

# Room on each page for a book's new row version, so that a counter update stays on its
# page (a HOT update) instead of moving the row and touching every index.
BOOK_FILLFACTOR = 85


def postgres_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite's demo catalogue is small enough to scan
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )
    schema_editor.execute(f"ALTER TABLE library_book SET (fillfactor = {BOOK_FILLFACTOR})")


def drop_postgres_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("ALTER TABLE library_book RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0005_hold_permissions"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="book",
            name="book_available_genre_idx",
        ),
        migrations.AddIndex(
            model_name="book",
            index=models.Index(fields=["genre", "title", "id"], name="book_genre_title_idx"),
        ),
        migrations.RunPython(postgres_search_indexes, drop_postgres_search_indexes),
    ]
