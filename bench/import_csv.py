"""CSV import of books through django-import-export (library.resources.BookResource).

Builds a CSV of ``--rows`` new books (valid ISBN-13s, authors by name: mostly existing,
some new), imports it as a librarian would (the admin's import: every row through
``library.services`` with history), and prints rows/s and memory; then the same rows
through ``Book.objects.bulk_create`` for scale. Memory: the peak of Python allocations
(tracemalloc) for a small and a full import, and the growth in between per 1,000 rows
(flat memory means that figure stays near zero). Every import is rolled back, so the
data set is left as it was.

    .venv/bin/python bench/import_csv.py [--rows 10000] [--memory-rows 1000]
"""

import argparse
import random
import time
import tracemalloc

import common


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--memory-rows", type=int, default=500, help="small traced import")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--proposed",
        action="store_true",
        help="also time bench/proposed_resources.BulkBookResource (the proposed change)",
    )
    parser.add_argument(
        "--proposed-only", action="store_true", help="time only the proposed bulk resource"
    )
    args = parser.parse_args()
    common.setup()

    import tablib
    from django.db import transaction

    from library.datagen import isbn13_check_digit
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

    full = rows(args.rows)
    small = full[: args.memory_rows]
    seconds = None
    if not args.proposed_only:
        seconds = measure(BookResource, "import", full, small, dataset, librarian)
    if args.proposed or args.proposed_only:
        from proposed_resources import BulkBookResource

        measure(BulkBookResource, "proposed_bulk_import", full, small, dataset, librarian)

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
    if seconds:
        common.figure("import_to_bulk_create_ratio", bulk / seconds, "x")


def measure(resource_class, name, full, small, dataset, librarian) -> float:
    """Timed without tracing (peak RSS before and after), then traced at two sizes."""
    rss_before = _max_rss_mib()
    seconds, result = import_rolled_back(dataset(full), librarian, resource_class)
    common.figure(f"{name}_rows", len(full), "rows")
    common.figure(f"{name}_errors", _errors(result), "rows")
    common.figure(f"{name}_seconds", seconds, "s")
    common.figure(f"{name}_rows_per_second", len(full) / seconds, "rows/s (target >= 1000)")
    common.figure(f"{name}_peak_rss_growth", _max_rss_mib() - rss_before, "MiB")
    # Memory per row: peak Python allocations (tracemalloc) of a small and a 4x import.
    peaks = {}
    for data in (small, full[: 4 * len(small)]):
        parsed = dataset(data)  # the file itself is not the import's memory
        tracemalloc.start()
        import_rolled_back(parsed, librarian, resource_class)
        peaks[len(data)] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        common.figure(f"{name}_peak_memory_{len(data)}_rows", peaks[len(data)] / 2**20, "MiB")
    (n1, p1), (n2, p2) = sorted(peaks.items())
    common.figure(
        f"{name}_memory_growth_per_1000_rows", (p2 - p1) / max(n2 - n1, 1) * 1000 / 2**20, "MiB"
    )
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
