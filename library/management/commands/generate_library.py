import time

from django.core.management.base import BaseCommand, CommandError

from library.devdata.generate import LibrarySize, library_generate


class Command(BaseCommand):
    help = (
        "Generate a realistic library (authors, books, patrons, a borrow history) of any "
        "size, fast: COPY on PostgreSQL, batched inserts elsewhere. Writes no history rows."
    )

    def add_arguments(self, parser):
        defaults = LibrarySize()
        parser.add_argument("--books", type=int, default=defaults.books)
        parser.add_argument("--authors", type=int, default=defaults.authors)
        parser.add_argument("--genres", type=int, default=defaults.genres)
        parser.add_argument("--patrons", type=int, default=defaults.patrons)
        parser.add_argument("--borrows", type=int, default=defaults.borrows)
        parser.add_argument("--years", type=float, default=defaults.years)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--truncate",
            action="store_true",
            help="Wipe authors, books, borrows, their history and earlier generated patrons.",
        )
        parser.add_argument(
            "--patron-password",
            default=None,
            help="One password for every generated patron (hashed once); default: unusable.",
        )

    def handle(self, *args, **options):
        size = LibrarySize(
            books=options["books"],
            authors=options["authors"],
            genres=options["genres"],
            patrons=options["patrons"],
            borrows=options["borrows"],
            years=options["years"],
        )
        started = time.perf_counter()
        try:
            result = library_generate(
                size=size,
                seed=options["seed"],
                truncate=options["truncate"],
                patron_password=options["patron_password"],
                progress=self.stdout.write,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"borrows: {result.open_borrows} open, {result.overdue_borrows} overdue, "
            f"{result.redrawn} redrawn draws, {result.skipped} skipped"
        )
        self.stdout.write(
            f"total: {result.rows} rows in {seconds:.2f} s ({result.rows / seconds:,.0f} rows/s)"
        )
