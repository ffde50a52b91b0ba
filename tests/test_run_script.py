"""bin/run: the port comes from the first argument or $PORT, and a bad one stops it early."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

RUN = Path(settings.BASE_DIR) / "bin" / "run"


def run(*args: str, port: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PORT"}
    if port is not None:
        env["PORT"] = port
    return subprocess.run(
        ["bash", str(RUN), *args], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    "args, port, shown",
    [
        (["eighty"], None, "'eighty'"),
        ([], "0", "'0'"),
        ([], "65536", "'65536'"),
        (["-1"], "8000", "'-1'"),  # the argument wins over $PORT
        ([], "80 80", "'80 80'"),
    ],
)
def test_a_bad_port_is_refused_before_anything_is_set_up(args, port, shown):
    result = run(*args, port=port)

    assert result.returncode == 2
    assert "the port must be a number from 1 to 65535" in result.stderr
    assert shown in result.stderr
    assert "usage: bin/run [PORT]" in result.stderr
    assert "==>" not in result.stdout  # no step started
