"""Instructions a borrow + return cycle costs the Python process, counted by valgrind.

Times on this machine move by ±15% between runs of the same code, more than most
changes to the request path save. The instructions a cycle executes barely move: two runs
of the same code agree within 0.1%. So this script runs ``--cycles`` borrow + return
cycles in process (the WSGI application called directly, as gunicorn calls it, production
settings, one patron, the same books in the same order) under ``valgrind --tool=callgrind``
and prints the instructions per cycle of this checkout and of each ``--baseline``
checkout, and the ratio of each baseline to this one. Only the cycles are counted, not
start-up or the warm-up: callgrind writes its counts out each time the process calls
``getppid()``, once before the cycles and once after them.

The PostgreSQL server's work is not counted (another process), nor the time spent
waiting for it: this measures the Python work a change adds or saves, and says nothing
about throughput, which ``bench/load.py`` measures. Needs Debian's ``valgrind``
(``apt-get install valgrind``); a run of 100 cycles takes 2-3 minutes a checkout, and the
checkouts run side by side (the counts do not depend on timing).

    bench/instructions.py --cycles 100 --baseline ../before
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARM_UP_CYCLES = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--baseline", type=Path, action="append", default=[])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--patron", default="bench-patron-01", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_cycles(args.child, args.cycles, args.patron)
        return 0
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind).")
    trees = [HERE.parent, *(tree.resolve() for tree in args.baseline)]
    with tempfile.TemporaryDirectory() as scratch:
        runs = [
            start(tree, number, args.cycles, Path(scratch)) for number, tree in enumerate(trees)
        ]
        counts = [finish(*run, args.cycles) for run in runs]
    print(f"cycles_counted: {args.cycles}")
    print(f"instructions_per_cycle: {counts[0]:,}")
    for tree, count in zip(trees[1:], counts[1:], strict=True):
        print(
            f"instructions_per_cycle {tree}: {count:,} (x{count / counts[0]:.3f} of this checkout)"
        )
    return 0


def start(tree: Path, number: int, cycles: int, scratch: Path):
    out = scratch / f"callgrind.{number}"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    process = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--dump-before=getppid",
            f"--callgrind-out-file={out}",
            str(tree / ".venv" / "bin" / "python"),
            str(Path(__file__).resolve()),
            "--child",
            str(tree),
            "--cycles",
            str(cycles),
            "--patron",
            f"bench-patron-{number + 1:02d}",
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, out


def finish(process, out: Path, cycles: int) -> int:
    _, errors = process.communicate()
    if process.returncode:
        sys.exit(f"the counted run failed:\n{errors[-2000:]}")
    # Part 1 ends at the first getppid() (start-up and warm-up), part 2 at the second.
    totals = re.search(
        r"^(?:summary|totals): (\d+)", (out.parent / f"{out.name}.2").read_text(), re.M
    )
    return int(totals.group(1)) // cycles


def run_cycles(tree: Path, cycles: int, patron_name: str) -> None:
    """In the child, under valgrind: the checkout's own code, cycles between two dumps."""
    import io
    import json
    import random

    sys.path[:0] = [str(tree), str(HERE)]
    import common  # this script's settings; the code under test is the checkout's

    for name, value in common.BENCH_ENV.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.wsgi import get_wsgi_application

    from library import services
    from library.models import Book, Borrow

    application = get_wsgi_application()
    patron, _ = get_user_model().objects.get_or_create(
        username=patron_name, defaults={"email": f"{patron_name}@example.org"}
    )
    for borrow_id in Borrow.objects.open().filter(user=patron).values_list("id", flat=True):
        services.borrow_return(borrow_id=borrow_id, actor=patron)
    token = common.token_for(patron)
    books = list(
        Book.objects.filter(available_copies__gt=2)
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    choose = random.Random(1).choice

    def call(method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status = []
        content = b"".join(
            application(environ, lambda line, headers, exc_info=None: status.append(line))
        )
        return int(status[0][:3]), content

    def cycle() -> None:
        while True:
            status, content = call("POST", "/borrow/", json.dumps({"book": choose(books)}).encode())
            if status == 201:
                break
            if status != 409:  # 409: all copies out, another book then
                raise SystemExit(f"POST /borrow/ -> {status} {content[:200]!r}")
        loan = json.loads(content)["id"]
        status, content = call("PUT", f"/borrow/{loan}/return/")
        if status != 200:
            raise SystemExit(f"PUT /borrow/{loan}/return/ -> {status} {content[:200]!r}")

    for _ in range(WARM_UP_CYCLES):
        cycle()
    os.getppid()  # callgrind writes out start-up and warm-up here
    for _ in range(cycles):
        cycle()
    os.getppid()  # and the counted cycles here


if __name__ == "__main__":
    sys.exit(main())
