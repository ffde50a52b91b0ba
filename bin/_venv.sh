# Sourced by bin/run, bin/test, bin/production-smoke and .ci/run: make .venv with Python 3.11
# and install pinned packages only when the requirement files changed since the last install.
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

# ensure_fresh_venv DIR REQUIREMENTS: a virtualenv holding REQUIREMENTS and nothing else,
# as the Dockerfile installs it. Rebuilt from nothing whenever the file changes: a venv
# that kept a package the file no longer names would hide a missing pin.
ensure_fresh_venv() {
  local dir=$1 requirements=$2
  local stamp=$dir/.installed-$(basename "$requirements")
  if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    return
  fi
  rm -rf "$dir"
  "$(find_python)" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
}
