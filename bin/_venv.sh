# Sourced by bin/run and bin/test: make .venv with Python 3.11 and install pinned packages
# only when the requirement files changed since the last install.
set -euo pipefail

find_python() {
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        echo "$candidate"
        return
    fi
  done
  echo "Shelfwise needs Python 3.11 (python3.11 or python3 on PATH)." >&2
  exit 1
}

ensure_venv() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  local stamp=.venv/.installed-$(basename "$requirements")
  if [ ! -f "$stamp" ] || ! cat requirements*.txt | cmp -s - "$stamp"; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
    cat requirements*.txt > "$stamp"
  fi
}
