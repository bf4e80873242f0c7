#!/usr/bin/env bash
# Bounded load run (gunicorn + PostgreSQL on loopback, 20 clients); writes benchmarks/results/load-<date>.json|md.
# Needs PostgreSQL 15 binaries (scripts/install-system-deps.sh). Takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
exec "$PY" benchmarks/load.py --out "benchmarks/results/load-$(date -u +%F)" "$@"
