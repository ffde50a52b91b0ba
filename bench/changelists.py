"""Admin change lists on the large data set: with their headers built once, and as unfold
renders them (every row building every header again, ``list_sections`` looked up and
missed twice per row), interleaved in one process.

    .venv/bin/python bench/changelists.py [--rounds 7]
"""

import argparse
import statistics
import time

import common

PAGES = [
    ("book", "/admin/library/book/"),
    ("book_search", "/admin/library/book/?q=island"),
    ("borrow", "/admin/library/borrow/"),
    ("hold", "/admin/library/hold/"),
    ("patron", "/admin/accounts/user/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="timed pairs per page")
    args = parser.parse_args()
    common.setup()

    from unfold.templatetags import unfold_list

    from backoffice.core.admin_inputs import AdminInputGuardMixin

    client = common.admin_session(common.bench_librarian())
    ours = unfold_list.result_headers
    unfolds = ours.__wrapped__

    def as_unfold_renders(on: bool) -> None:
        unfold_list.result_headers = unfolds if on else ours
        if on:
            del AdminInputGuardMixin.list_sections
        else:
            AdminInputGuardMixin.list_sections = ()

    def timed(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return time.perf_counter() - started

    for name, url in PAGES:
        times = {"ours": [], "unfold": []}
        timed(url)
        for _ in range(args.rounds):
            for version in ("ours", "unfold"):
                as_unfold_renders(version == "unfold")
                try:
                    times[version].append(timed(url))
                finally:
                    as_unfold_renders(False)
        ours_ms = statistics.median(times["ours"]) * 1000
        unfold_ms = statistics.median(times["unfold"]) * 1000
        common.figure(f"changelist_{name}_median", ours_ms, "ms")
        common.figure(f"changelist_{name}_as_unfold_renders_median", unfold_ms, "ms")
        common.figure(f"changelist_{name}_speedup", unfold_ms / ours_ms, "x")


if __name__ == "__main__":
    main()
