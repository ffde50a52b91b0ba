"""CSV import of books through django-import-export (library.resources.BookResource).

Builds a CSV of ``--rows`` new books (valid ISBN-13s, authors by name: mostly existing,
some new), imports it as a librarian would (the admin's confirmed import: each row
checked by the rules of ``library.services``, new books written in batches with their
history), and prints rows/s and memory; then the same rows through
``Book.objects.bulk_create`` for scale. Memory: the peak of Python allocations
(tracemalloc) of imports of 500, 2,000 and 8,000 rows, and the growth per 1,000 rows
between them (flat memory means that figure stays near zero), beside the size of the
parsed file itself per 1,000 rows. Every import is rolled back, so the data set is left
as it was.

    .venv/bin/python bench/import_csv.py [--rows 10000]
"""

import argparse
import itertools
import random
import time
import tracemalloc

import common


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    common.setup()

    import tablib
    from django.db import transaction

    from library.isbn import isbn13_check_digit
    from library.models import Author, Book
    from library.resources import BookResource

    rng = random.Random(args.seed)
    librarian = common.bench_librarian()
    authors = list(Author.objects.order_by("?").values_list("name", flat=True)[:2000])
    taken = set(Book.objects.values_list("isbn", flat=True))
    headers = ["title", "author", "isbn", "genre", "publication_date", "total_copies"]

    def rows(count: int) -> list[tuple]:
        out = []
        while len(out) < count:
            first12 = f"979{rng.randrange(10**9):09d}"
            isbn = first12 + isbn13_check_digit(first12)
            if isbn in taken:
                continue
            taken.add(isbn)
            author = rng.choice(authors) if rng.random() < 0.9 else f"New Author {len(out)}"
            out.append(
                (
                    f"Imported Title {len(out)}",
                    author,
                    isbn,
                    rng.choice(["Fiction", "History", "Science"]),
                    f"{rng.randrange(1900, 2025)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
                    rng.randrange(1, 6),
                )
            )
        return out

    def dataset(data) -> "tablib.Dataset":
        return tablib.Dataset(*data, headers=headers)

    full = rows(max(args.rows, MEMORY_ROWS[-1]))[: args.rows]
    memory_rows = rows(MEMORY_ROWS[-1])
    seconds = measure(BookResource, "import", full, memory_rows, dataset, librarian)

    # For scale: the same rows through bulk_create (no validation, no history, no services).
    by_name = dict(Author.objects.values_list("name", "id"))
    default_author = next(iter(by_name.values()))
    started = time.perf_counter()
    try:
        with transaction.atomic():
            Book.objects.bulk_create(
                [
                    Book(
                        title=title,
                        author_id=by_name.get(author, default_author),
                        isbn=isbn,
                        genre=genre,
                        publication_date=published,
                        total_copies=copies,
                        available_copies=copies,
                    )
                    for title, author, isbn, genre, published, copies in full
                ],
                batch_size=2000,
            )
            raise Rollback
    except Rollback:
        pass
    bulk = time.perf_counter() - started
    common.figure("bulk_create_rows_per_second", len(full) / bulk, "rows/s")
    common.figure("import_to_bulk_create_ratio", bulk / seconds, "x")


MEMORY_ROWS = (500, 2000, 8000)


def measure(resource_class, name, full, memory_rows, dataset, librarian) -> float:
    """Timed without tracing (peak RSS before and after), then traced at three sizes."""
    rss_before = _max_rss_mib()
    seconds, result = import_rolled_back(dataset(full), librarian, resource_class)
    common.figure(f"{name}_rows", len(full), "rows")
    common.figure(f"{name}_errors", _errors(result), "rows")
    common.figure(f"{name}_seconds", seconds, "s")
    common.figure(f"{name}_rows_per_second", len(full) / seconds, "rows/s (target >= 1000)")
    common.figure(f"{name}_peak_rss_growth", _max_rss_mib() - rss_before, "MiB")
    peaks = {}
    for count in MEMORY_ROWS:
        tracemalloc.start()
        parsed = dataset(memory_rows[:count])
        file_size = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        # The peak above what the parsed file already holds: the import's own memory.
        import_rolled_back(parsed, librarian, resource_class)
        peaks[count] = tracemalloc.get_traced_memory()[1] - file_size
        tracemalloc.stop()
        common.figure(f"{name}_peak_memory_{count}_rows", peaks[count] / 2**20, "MiB")
        common.figure(f"parsed_file_{count}_rows", file_size / 2**20, "MiB")
    for small, large in itertools.pairwise(MEMORY_ROWS):
        growth = (peaks[large] - peaks[small]) / (large - small) * 1000 / 2**20
        common.figure(f"{name}_memory_growth_per_1000_rows_{small}_to_{large}", growth, "MiB")
    return seconds


def import_rolled_back(data, user, resource_class):
    from django.db import transaction

    holder = {}
    started = time.perf_counter()
    try:
        with transaction.atomic():
            holder["result"] = resource_class().import_data(
                data, dry_run=False, raise_errors=False, user=user
            )
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, holder["result"]


def _max_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _errors(result) -> int:
    return len(result.row_errors()) + len(result.invalid_rows) + len(result.base_errors)


if __name__ == "__main__":
    main()
