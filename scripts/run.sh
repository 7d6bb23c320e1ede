#!/usr/bin/env bash
# Starts Pinzhi. First start: creates .venv, the SQLite database under data/ and the demo company.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/pinzhi db upgrade
.venv/bin/pinzhi demo --if-empty
exec .venv/bin/streamlit run app/server.py --server.port "${PORT:-8501}" "$@"
