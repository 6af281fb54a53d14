#!/usr/bin/env bash
# Creates .venv from uv.lock with Python 3.12 (installs uv into .local/tools first if missing).
# 3.12 and not 3.13: the development group's embedded PostgreSQL (pgserver 0.1.4) has cp312 wheels
# only, so `uv sync` fails on 3.13. The production image (no development group) is not bound to it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local
find_python() {
  for c in "${PYTHON:-}" python3.12; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  for c in "$HOME"/.pyenv/versions/3.12*/bin/python3 /usr/local/bin/python3.12 /usr/bin/python3.12; do
    if [ -x "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then echo "$c"; return; fi
  done
  echo "Python 3.12 is needed (set PYTHON=/path/to/python3.12); the embedded PostgreSQL has no 3.13 build" >&2; exit 1
}
PY=$(find_python)
UV=$(command -v uv || true)
if [ -z "$UV" ]; then
  if [ ! -x .local/tools/bin/uv ]; then
    "$PY" -m venv .local/tools
    .local/tools/bin/pip install -q "uv==0.13.9"
  fi
  UV=.local/tools/bin/uv
fi
"$UV" sync --frozen --python "$PY" --quiet
