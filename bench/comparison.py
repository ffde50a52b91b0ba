"""What bench/load.py compares the product with: the minimal app of bench/reference/ and
pgbench running the same SQL, each as a phase interleaved with the product's.

- ``reference_cycles``: POST /cycle/ on the reference app (borrow and return in one
  request, raw SQL); ``reference_hello``: its GET /hello/ (token check only).
- ``pgbench``: the same statements straight from pgbench, one transaction per cycle: the
  borrow (the shelf's conditional UPDATE and the loan's INSERT, one statement), the return
  (the loan's UPDATE and the shelf's UPDATE). A cycle finding no copy on the shelf writes
  nothing, as the product's 409 does. The patron is the client's own bench patron.
"""

import http.client
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

import common
from common import request

REFERENCE_DIR = common.ROOT / "bench" / "reference"

PGBENCH_SCRIPT = """\\set k random(1, {pool})
BEGIN;
WITH taken AS (
  UPDATE library_book b SET available_copies = b.available_copies - 1
    FROM bench_pool p
   WHERE p.n = :k AND b.id = p.book_id AND b.available_copies > 0
  RETURNING b.id),
loan AS (
  INSERT INTO library_borrow (user_id, book_id, borrow_date, due_date, renewals)
  SELECT u.id, taken.id, now(), now() + interval '14 days', 0
    FROM taken JOIN accounts_user u
      ON u.username = '{prefix}' || lpad((:client_id + 1)::text, 2, '0')
  RETURNING id, book_id)
SELECT coalesce(max(id), 0) AS loan, coalesce(max(book_id), 0) AS book FROM loan \\gset
UPDATE library_borrow SET return_date = now() WHERE id = :loan;
UPDATE library_book SET available_copies = available_copies + 1 WHERE id = :book;
END;
"""


def reference_cycle_client(phase, port, token, deadline, rng, pool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        status, data, seconds = request(conn, "POST", "/cycle/", token, {"book": rng.choice(pool)})
        phase.status(status)
        if status == 409:
            continue
        if status != 200:
            phase.errors.append(f"reference POST /cycle/ -> {status} {data[:200]!r}")
            continue
        json.loads(data)
        phase.record("cycle", seconds)
    conn.close()


def reference_hello_client(phase, port, token, deadline, rng, pool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        status, data, seconds = request(conn, "GET", "/hello/", token)
        phase.status(status)
        if status == 200:
            phase.record("hello", seconds)
        else:
            phase.errors.append(f"reference GET /hello/ -> {status} {data[:200]!r}")
    conn.close()


def pgbench_pool_create(pool: list[int]) -> None:
    """The books pgbench picks from, numbered 1..n (pgbench draws numbers, not ids)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pool")
        cursor.execute("CREATE UNLOGGED TABLE bench_pool (n integer PRIMARY KEY, book_id bigint)")
        cursor.executemany(
            "INSERT INTO bench_pool (n, book_id) VALUES (%s, %s)",
            list(enumerate(pool, start=1)),
        )


def pgbench_pool_drop() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_pool")


class PgbenchPhase:
    """pgbench's own count of cycles and their latencies, for as long as a phase runs."""

    def __init__(self, clients: int, pool_size: int):
        self.clients = clients
        self.cycles = 0
        self.seconds = 0.0
        self.latencies_ms: list[float] = []
        self.errors: list[str] = []
        self.script = Path(tempfile.mkdtemp()) / "cycle.sql"
        self.script.write_text(
            PGBENCH_SCRIPT.format(pool=pool_size, prefix=common.BENCH_PATRON_PREFIX)
        )

    def run(self, seconds: float) -> None:
        log_dir = Path(tempfile.mkdtemp())
        result = subprocess.run(
            [
                "pgbench",
                "--no-vacuum",
                "--client",
                str(self.clients),
                "--jobs",
                "2",
                "--time",
                str(max(1, round(seconds))),
                "--file",
                str(self.script),
                "--log",
                "--log-prefix",
                str(log_dir / "pgbench"),
                common.psql_dsn(),
            ],
            capture_output=True,
            text=True,
        )
        # pgbench counts cycles over --time, not over its connection set-up.
        self.seconds += max(1, round(seconds))
        if result.returncode != 0:
            self.errors.append(f"pgbench: {result.stderr.strip()[-300:]}")
            return
        processed = re.search(r"number of transactions actually processed: (\d+)", result.stdout)
        failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
        if failed and int(failed.group(1)):
            self.errors.append(f"pgbench: {failed.group(1)} failed transactions")
        self.cycles += int(processed.group(1)) if processed else 0
        for log in log_dir.glob("pgbench*"):
            # Per transaction: client, transaction number, latency in µs, ...
            for line in log.read_text().splitlines():
                self.latencies_ms.append(int(line.split()[2]) / 1000)

    def percentile(self, pct: float) -> float:
        values = sorted(self.latencies_ms) or [0.0]
        return values[min(len(values) - 1, int(len(values) * pct / 100))]


def report(cycles_per_s, ceiling_rps, reference_cycles, reference_hello, pgbench) -> None:
    reference_per_s = reference_cycles.count("cycle") / reference_cycles.seconds
    hello_per_s = reference_hello.count("hello") / reference_hello.seconds
    pgbench_per_s = pgbench.cycles / pgbench.seconds
    common.figure("reference_cycles", reference_per_s, "cycles/s (one request each)")
    common.figure("reference_cycle_p50", reference_cycles.percentile("cycle", 50), "ms")
    common.figure("reference_cycle_p99", reference_cycles.percentile("cycle", 99), "ms")
    common.figure("cycles_to_reference_ratio", cycles_per_s / reference_per_s, "(target >= 0.5)")
    common.figure("reference_hello", hello_per_s, "req/s")
    common.figure("reference_hello_p50", reference_hello.percentile("hello", 50), "ms")
    common.figure("reference_hello_p99", reference_hello.percentile("hello", 99), "ms")
    common.figure("auth_user_to_reference_hello_ratio", ceiling_rps / hello_per_s, "")
    common.figure("pgbench_cycles", pgbench_per_s, "cycles/s")
    common.figure("pgbench_cycle_p50", pgbench.percentile(50), "ms")
    common.figure("pgbench_cycle_p99", pgbench.percentile(99), "ms")
    common.figure("reference_to_pgbench_ratio", reference_per_s / pgbench_per_s, "")
    common.figure("cycles_to_pgbench_ratio", cycles_per_s / pgbench_per_s, "")
