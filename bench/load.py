"""Borrow + return throughput under concurrency, against a real gunicorn.

Starts gunicorn (production settings, DEBUG off, Redis cache and PostgreSQL from the
environment) on a free 127.0.0.1 port, gives each of ``--clients`` threads its own patron
and API token, and alternates two phases for ``--rounds`` rounds:

- ceiling: every client calls GET /auth/user/ in a loop (the cheapest authenticated
  request: token check and one serialised row);
- cycles: every client borrows a random book (POST /borrow/) and returns it
  (PUT /borrow/{id}/return/), in a loop;
- refused pairs: the same two requests, refused before any write (a borrow of book 0,
  400; the return of a loan that does not exist, 404): what any two authenticated API
  requests cost, the floor under a borrow + return cycle.

Alternating the phases spreads any outside load on the machine over both. The borrow
throttle is raised for the run (BORROW_RATE=100000/hour unless set), or every patron
would be refused after 20 borrows. Afterwards: no 5xx, no loan of the bench patrons left
open, and every book's shelf count equal to total minus open loans
(``library.services.copies.invariants_broken``); then the peak RSS (VmHWM) of each gunicorn worker,
and the CPU each phase cost per request or cycle: the servers', PostgreSQL's and this
load generator's (``bench/cpu.py``).

    .venv/bin/python bench/load.py [--clients 16] [--seconds 20] [--rounds 2]
"""

import argparse
import http.client
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import common
import comparison
import cpu
import holds_phase
from common import request


def book_updates() -> tuple[int, int]:
    """Updates of library_book so far, and how many were HOT (no index touched)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = %s",
            ["library_book"],
        )
        return cursor.fetchone()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=2, help="ceiling/cycles alternations")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    parser.add_argument("--books", type=int, default=5000, help="random books to borrow from")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="a checkout of an earlier version (repeatable): its cycles run interleaved with "
        "ours, on the same database (it must understand the current schema)",
    )
    parser.add_argument("--no-holds", action="store_true", help="skip the holds phase")
    parser.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the minimal app of bench/reference/ and pgbench",
    )
    args = parser.parse_args()
    common.setup()

    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from library import services
    from library.models import Book, Borrow
    from library.services.copies import invariants_broken

    rng = random.Random(args.seed)
    User = get_user_model()
    patrons = []
    for number in range(1, args.clients + 1):
        patron, created = User.objects.get_or_create(
            username=f"{common.BENCH_PATRON_PREFIX}{number:02d}",
            defaults={"email": f"bench-patron-{number}@example.org"},
        )
        if created:
            patron.set_unusable_password()
            patron.save(update_fields=["password"])
        for borrow_id in Borrow.objects.open().filter(user=patron).values_list("id", flat=True):
            services.borrow_return(borrow_id=borrow_id, actor=patron)
        patrons.append(patron)
    tokens = [common.token_for(patron) for patron in patrons]
    holders, hold_books = ([], []) if args.no_holds else holds_phase.holds_setup(args.clients)
    holder_tokens = [common.token_for(holder) for holder in holders]
    pool = list(
        Book.objects.filter(available_copies__gt=0)
        .order_by("?")
        .values_list("id", flat=True)[: args.books]
    )
    pgbench = None
    if not args.no_reference:
        comparison.pgbench_pool_create(pool)
        pgbench = comparison.PgbenchPhase(args.clients, len(pool))
    updates_before = book_updates()
    close_old_connections()

    port = free_port()
    app = "backoffice.wsgi:application"
    server = start_gunicorn(port, args.workers, args.threads, app)
    baselines = []  # (name, port, server, phase)
    for number, tree in enumerate(args.baseline, start=1):
        baseline_port = free_port()
        server_of_tree = start_gunicorn(
            baseline_port, args.workers, args.threads, app, cwd=tree.resolve()
        )
        baselines.append((f"baseline{number}", baseline_port, server_of_tree, Phase(str(tree))))
    reference_cycles, reference_hello = Phase("reference_cycles"), Phase("reference_hello")
    reference = None
    if pgbench:
        reference_port = free_port()
        reference = start_gunicorn(
            reference_port,
            args.workers,
            args.threads,
            "app:application",
            cwd=comparison.REFERENCE_DIR,
        )
    ceiling, cycles, refused = Phase("ceiling"), Phase("cycles"), Phase("refused")
    holds = Phase("holds")
    try:
        wait_until_up(port)
        if reference:
            wait_until_up(reference_port)
        for name, baseline_port, _, phase in baselines:
            wait_until_up(baseline_port)
            common.figure(name, phase.name, "")
        common.figure(
            "server", f"gunicorn {app} gthread workers={args.workers} threads={args.threads}", ""
        )
        common.figure("clients", args.clients, "threads")

        def cycles_of(phase, phase_port, client=cycle_client):
            return lambda: run_phase(phase, phase_port, tokens, args.seconds, client, rng, pool)

        cycle_phases = [cycles_of(cycles, port)]
        cycle_phases += [cycles_of(phase, p) for _, p, _, phase in baselines]
        if reference:
            cycle_phases.append(
                cycles_of(reference_cycles, reference_port, comparison.reference_cycle_client)
            )
            cycle_phases.append(lambda: pgbench.run(args.seconds))
        for round_number in range(args.rounds):
            run_phase(ceiling, port, tokens, args.seconds, ceiling_client, rng, pool)
            if reference:
                run_phase(
                    reference_hello,
                    reference_port,
                    tokens,
                    args.seconds,
                    comparison.reference_hello_client,
                    rng,
                    pool,
                )
            # Each round starts the cycle phases with another version, so whatever the
            # order does (a warmer cache, a vacuum under way) falls on each of them alike.
            shift = round_number % len(cycle_phases)
            for run_cycles in cycle_phases[shift:] + cycle_phases[:shift]:
                run_cycles()
            run_phase(refused, port, tokens, args.seconds, refused_pair_client, rng, pool)
            if holders:
                pairs = list(zip(tokens, holder_tokens, hold_books, strict=True))
                run_phase(
                    holds, port, pairs, args.seconds, holds_phase.holds_cycle_client, rng, pool
                )
        worker_hwm = gunicorn_worker_hwm(server.pid)
    finally:
        stop(server)
        for _, _, server_of_tree, _ in baselines:
            stop(server_of_tree)
        if reference:
            stop(reference)
        if pgbench:
            comparison.pgbench_pool_drop()

    ceiling_rps = ceiling.count("user") / ceiling.seconds
    cycles_per_s = cycles.count("cycle") / cycles.seconds
    common.figure("ceiling_get_auth_user", ceiling_rps, "req/s")
    common.figure("ceiling_p50", ceiling.percentile("user", 50), "ms")
    common.figure("ceiling_p99", ceiling.percentile("user", 99), "ms")
    common.figure("borrow_return_cycles", cycles_per_s, "cycles/s")
    common.figure("borrow_return_requests", 2 * cycles_per_s, "req/s")
    for kind in ("borrow", "return", "cycle"):
        common.figure(f"{kind}_p50", cycles.percentile(kind, 50), "ms")
        common.figure(f"{kind}_p99", cycles.percentile(kind, 99), "ms")
    common.figure("cycles_to_ceiling_ratio", cycles_per_s / ceiling_rps, "(target >= 0.5)")
    cpu_per_unit("ceiling", ceiling, "user", "request")
    cpu_per_unit("borrow_return", cycles, "cycle", "cycle")
    cpu_per_unit("reference_hello", reference_hello, "hello", "request")
    cpu_per_unit("reference_cycle", reference_cycles, "cycle", "cycle")
    for name, _, _, phase in baselines:
        baseline_per_s = phase.count("cycle") / phase.seconds
        common.figure(f"{name}_borrow_return_cycles", baseline_per_s, "cycles/s")
        for kind in ("borrow", "return"):
            common.figure(f"{name}_{kind}_p50", phase.percentile(kind, 50), "ms")
            common.figure(f"{name}_{kind}_p99", phase.percentile(kind, 99), "ms")
        common.figure(f"cycles_to_{name}_ratio", cycles_per_s / baseline_per_s, "")
    if reference:
        comparison.report(cycles_per_s, ceiling_rps, reference_cycles, reference_hello, pgbench)
    if holds.seconds:
        holds_per_s = holds.count("holds_cycle") / holds.seconds
        common.figure("holds_cycles", holds_per_s, "cycles/s (5 requests each)")
        for kind in ("place_hold", "trapping_return", "holder_borrow", "holds_cycle"):
            common.figure(f"{kind}_p50", holds.percentile(kind, 50), "ms")
            common.figure(f"{kind}_p99", holds.percentile(kind, 99), "ms")
    refused_per_s = refused.count("pair") / refused.seconds
    common.figure("refused_pairs", refused_per_s, "pairs/s")
    common.figure("refused_pairs_to_ceiling_ratio", refused_per_s / ceiling_rps, "")
    common.figure("cycles_to_refused_pairs_ratio", cycles_per_s / refused_per_s, "")
    statuses = ceiling.statuses + cycles.statuses + holds.statuses
    statuses += reference_cycles.statuses + reference_hello.statuses
    for _, _, _, phase in baselines:
        statuses += phase.statuses
    common.figure("statuses", " ".join(f"{s}={n}" for s, n in sorted(statuses.items())), "")
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    common.figure("http_5xx", server_errors, "responses")
    common.figure("no_copies_retries", statuses.get(409, 0), "responses")
    for pid, kib in sorted(worker_hwm.items()):
        common.figure(f"gunicorn_worker_{pid}_vmhwm", kib / 1024, "MiB")
    if worker_hwm:
        common.figure("gunicorn_worker_peak_rss_max", max(worker_hwm.values()) / 1024, "MiB")
    client_cpu = resource.getrusage(resource.RUSAGE_SELF)
    common.figure("client_cpu", client_cpu.ru_utime + client_cpu.ru_stime, "s")

    time.sleep(1.5)  # backends flush their table statistics about once a second
    updates, hot = (
        after - before for after, before in zip(book_updates(), updates_before, strict=True)
    )
    common.figure("book_counter_updates", updates, "row updates")
    common.figure("book_hot_update_ratio", hot / updates if updates else 0.0, "(HOT / all)")

    left_open = Borrow.objects.open().filter(user__in=patrons + holders).count()
    consistent = not invariants_broken()
    common.figure("bench_loans_left_open", left_open, "loans")
    common.figure("counters_consistent", "yes" if consistent else "NO", "")
    common.figure(
        "refused_pair_statuses",
        " ".join(f"{s}={n}" for s, n in sorted(refused.statuses.items())),
        "",
    )
    server_errors += sum(n for s, n in refused.statuses.items() if s >= 500)
    errors = cycles.errors + holds.errors + ceiling.errors + refused.errors
    errors += reference_cycles.errors + reference_hello.errors + (pgbench.errors if pgbench else [])
    for _, _, _, phase in baselines:
        errors += phase.errors
    failed = server_errors or left_open or not consistent or errors
    for error in errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if failed else 0


def cpu_per_unit(name: str, phase, kind: str, unit: str) -> None:
    units = phase.count(kind)
    if units:
        for group in cpu.GROUPS:
            common.figure(f"{name}_cpu_{group}", phase.cpu[group] / units * 1000, f"ms per {unit}")


# --- Phases ------------------------------------------------------------------------------


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.seconds = 0.0
        self.latencies: dict[str, list[float]] = {}
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.cpu = dict.fromkeys(cpu.GROUPS, 0.0)  # seconds spent, by process group

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)

    def status(self, code: int) -> None:
        with self.lock:
            self.statuses[code] += 1

    def count(self, kind: str) -> int:
        return len(self.latencies.get(kind, []))

    def percentile(self, kind: str, pct: float) -> float:
        values = sorted(self.latencies.get(kind, [0.0]))
        if len(values) == 1:
            return values[0] * 1000
        return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] * 1000


def run_phase(phase, port, tokens, seconds, client, rng, pool) -> None:
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    cpu_before = cpu.cpu_seconds()
    threads = [
        threading.Thread(
            target=client,
            args=(phase, port, token, deadline, random.Random(rng.random()), pool),
            daemon=True,
        )
        for token in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds += time.perf_counter() - started
    cpu.add_spent(phase.cpu, cpu_before)


def ceiling_client(phase, port, token, deadline, rng, pool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        status, _, seconds = request(conn, "GET", "/auth/user/", token)
        phase.status(status)
        if status == 200:
            phase.record("user", seconds)
        else:
            phase.errors.append(f"GET /auth/user/ -> {status}")
    conn.close()


def cycle_client(phase, port, token, deadline, rng, pool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        book = rng.choice(pool)
        status, data, borrow_seconds = request(conn, "POST", "/borrow/", token, {"book": book})
        phase.status(status)
        if status == 409:  # all copies out (another client, or the generated history)
            continue
        if status != 201:
            phase.errors.append(f"POST /borrow/ -> {status} {data[:200]!r}")
            continue
        phase.record("borrow", borrow_seconds)
        borrow_id = json.loads(data)["id"]
        status, data, return_seconds = request(conn, "PUT", f"/borrow/{borrow_id}/return/", token)
        phase.status(status)
        if status != 200:
            phase.errors.append(f"PUT /borrow/{borrow_id}/return/ -> {status} {data[:200]!r}")
            continue
        phase.record("return", return_seconds)
        phase.record("cycle", borrow_seconds + return_seconds)
    conn.close()


def refused_pair_client(phase, port, token, deadline, rng, pool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < deadline:
        status, data, borrow_seconds = request(conn, "POST", "/borrow/", token, {"book": 0})
        phase.status(status)
        if status != 400:
            phase.errors.append(f"POST /borrow/ (book 0) -> {status} {data[:200]!r}")
            continue
        missing = rng.randrange(2**40, 2**41)
        status, data, return_seconds = request(conn, "PUT", f"/borrow/{missing}/return/", token)
        phase.status(status)
        if status != 404:
            phase.errors.append(f"PUT /borrow/{missing}/return/ -> {status} {data[:200]!r}")
            continue
        phase.record("pair", borrow_seconds + return_seconds)
    conn.close()


# --- gunicorn ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, threads: int, app: str, *, cwd: Path = common.ROOT
) -> subprocess.Popen:
    log = Path(os.environ.get("BENCH_GUNICORN_LOG", "/tmp/shelfwise-bench-gunicorn.log"))
    return subprocess.Popen(
        [
            str(common.ROOT / ".venv" / "bin" / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--error-logfile",
            str(log),
        ],
        cwd=cwd,
        env=os.environ.copy(),
        start_new_session=True,
    )


def wait_until_up(port: int) -> None:
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become healthy")


def gunicorn_worker_hwm(master_pid: int) -> dict[int, int]:
    """VmHWM (peak resident set, KiB) of each worker process of the master."""
    peaks = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid) and "VmHWM" in fields:
            peaks[int(status.parent.name)] = int(fields["VmHWM"].split()[0])
    return peaks


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
