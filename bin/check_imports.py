"""Import every module of the product, and what its processes load at start, from this
interpreter: run from a virtualenv built from requirements.txt alone, an import that only
the development requirements satisfy fails here rather than in production.

Exits non-zero with the list of modules that would not import.
"""

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["backoffice", "accounts", "library", "reports"]
# Loaded by the production processes, not by importing our code: the Redis transport of
# the Celery broker (it needs `packaging`), the worker, beat and the web server.
ENTRY_POINTS = [
    "kombu.transport.redis",
    "celery.bin.worker",
    "celery.bin.beat",
    "celery.apps.worker",
    "gunicorn.app.wsgiapp",
    "backoffice.wsgi",
    "backoffice.core.cache",
    "django.core.cache.backends.redis",
    "django.contrib.sessions.backends.db",
]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    import django

    django.setup()
    names = list(ENTRY_POINTS)
    for package in PACKAGES:
        module = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, f"{package}.")]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - every failure is reported, not just the first
            failed.append(name)
            traceback.print_exc()
    if failed:
        print(f"check_imports: {len(failed)} module(s) do not import: {', '.join(failed)}")
        return 1
    print(f"check_imports: {len(names)} modules import with {sys.executable}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
