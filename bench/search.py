"""Catalogue search, counted and paged in one statement or as Django's paginator does.

For each word, ``GET /books/?search=<word>`` runs in process (Django's test Client, the
configured database and cache), alternating the two ways request by request so that both
see the same machine: Django's ``Paginator`` (a COUNT, then the page) and the API's way,
``library.api.views.catalogue.BookSearchPaginator`` (``counted_pages``: the matches
counted and paged in one statement, the page's rows read by key). Prints each way's
median wall time and CPU, the matches, and the SQL statements of one request.

Then every word the data generator builds titles from (``library.devdata.words``), each
searched ``--vocabulary-rounds`` times each way, alternating: the p50 and p90 over all
those requests, the single-word figure a catalogue's readers see.

    .venv/bin/python bench/search.py [--rounds 15] [--vocabulary-rounds 3] [word ...]
"""

import argparse
import statistics
import time

import common

# A common title word, a rare one, ISBN digits, a word in most titles, two words.
WORDS = ["island", "zanzibar", "9781234", "the", "silent island"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15, help="timed requests per way")
    parser.add_argument(
        "--vocabulary-rounds", type=int, default=3, help="requests per title word per way"
    )
    parser.add_argument("words", nargs="*", help="search texts (default: a fixed set)")
    args = parser.parse_args()
    common.setup()

    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from library.api.views import catalogue
    from library.devdata.words import TITLE_ADJECTIVES, TITLE_NOUNS, TITLE_PLACES
    from library.models import Author

    surname = Author.objects.order_by("id").values_list("name", flat=True).first().split()[-1]
    words = args.words or [*WORDS, surname]
    client = Client()
    ways = {"django": Paginator, "one_statement": catalogue.BookSearchPaginator}

    def fetch(text: str, paginator) -> tuple[float, float, dict]:
        catalogue.BookSearchPaginator = paginator
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/books/", {"search": text})
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        assert response.status_code == 200, response.content
        return (*elapsed, response.json())

    try:
        for text in words:
            answers = {way: fetch(text, paginator)[2] for way, paginator in ways.items()}
            assert answers["django"] == answers["one_statement"], text
            times = {way: [] for way in ways}
            for _ in range(args.rounds):
                for way, paginator in ways.items():
                    times[way].append(fetch(text, paginator)[:2])
            name = text.replace(" ", "_")
            common.figure(f"search_{name}_matches", answers["django"]["count"], "books")
            for way, paginator in ways.items():
                wall = statistics.median(t[0] for t in times[way]) * 1000
                cpu = statistics.median(t[1] for t in times[way]) * 1000
                catalogue.BookSearchPaginator = paginator
                with CaptureQueriesContext(connection) as queries:
                    client.get("/books/", {"search": text})
                common.figure(f"search_{name}_{way}_p50", wall, "ms")
                common.figure(f"search_{name}_{way}_cpu", cpu, "ms")
                common.figure(f"search_{name}_{way}_statements", len(queries))
        vocabulary = sorted(
            {
                word.lower()
                for part in (TITLE_ADJECTIVES, TITLE_NOUNS, TITLE_PLACES)
                for title_part in part
                for word in title_part.split()
                if len(word) >= 3
            }
        )
        times = {way: [] for way in ways}
        for _ in range(args.vocabulary_rounds):
            for text in vocabulary:
                for way, paginator in ways.items():
                    times[way].append(fetch(text, paginator)[0] * 1000)
        common.figure("vocabulary_words", len(vocabulary), "words")
        for way in ways:
            deciles = statistics.quantiles(times[way], n=10)
            common.figure(f"vocabulary_{way}_p50", statistics.median(times[way]), "ms")
            common.figure(f"vocabulary_{way}_p90", deciles[-1], "ms")
    finally:
        catalogue.BookSearchPaginator = ways["one_statement"]


if __name__ == "__main__":
    main()
