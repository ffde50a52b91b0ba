"""Settings as a new process computes them from its environment: for the tests of what a
variable does at start-up, where this process's settings are long since read."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_in_new_process(
    expression: str, env: dict[str, str | None]
) -> subprocess.CompletedProcess:
    """Sets Django up in a new Python with ``env`` over this environment (None takes a
    variable away) and prints ``expression``, which may use ``settings`` and ``json``."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings"}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print({expression})"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
