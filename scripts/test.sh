#!/usr/bin/env bash
# Runs the whole test suite: unit, property, SQLite and PostgreSQL, Streamlit AppTest, real browser.
# Creates .venv and installs Chromium/fonts/poppler (Debian) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system

# PostgreSQL: use DATABASE_URL_PG if given; else the local server (started if it is installed but down).
if [ -z "${DATABASE_URL_PG:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    export DATABASE_URL_PG="postgresql+psycopg://postgres@127.0.0.1:5432/test"
  fi
fi

.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
