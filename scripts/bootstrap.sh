#!/usr/bin/env bash
# Creates .venv and installs the project (and, with --system, the Debian packages the tests need).
# Idempotent and quick when nothing changed: a stamp of pyproject.toml decides whether pip runs.
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=0
[ "${1:-}" = "--system" ] && want_system=1

if [ "$want_system" = 1 ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "bootstrap: installing ${missing[*]} (Debian packages)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "bootstrap: please install: sudo apt-get install -y ${missing[*]}" >&2
    fi
  fi
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then PY=$c; break; fi
  done
fi
[ -n "$PY" ] || { echo "bootstrap: Python 3.11+ is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv with $PY"
  "$PY" -m venv .venv
fi
stamp=.venv/.pinzhi-installed
sum=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "bootstrap: installing Python packages into .venv (first run takes a minute)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$sum" > "$stamp"
fi

# axe-core for the accessibility browser test, from the npm registry at the version package-lock.json pins
axe=tests/browser/axe
if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "bootstrap: installing axe-core (npm ci in $axe)"
    (cd "$axe" && npm ci --no-audit --no-fund --silent)
  else
    echo "bootstrap: npm is missing: the accessibility browser test needs Node.js/npm for axe-core" >&2
  fi
fi
