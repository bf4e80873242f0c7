#!/usr/bin/env bash
# `make test`: installs what the tests need, starts their servers, runs the whole suite.
#  - system packages (PostgreSQL 15 server binaries, Redis) via apt where missing
#  - the CKAN 2.12 venv, cached under ~/.cache/freigabe/ (outside the clone)
#  - the ACRO venv for the compatibility test (benchmarks/.venv-acro, wheels cached in ~/.cache/pip)
#  - Debian's chromium and the npm package axe-core for the browser journeys (scripts/install-browser.sh)
# The test fixtures start and stop their own servers: a private PostgreSQL cluster, the CKAN instance
# (with its own PostgreSQL, Redis and the Solr stand-in), all on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
bash scripts/install-system-deps.sh
bash scripts/ckan/install.sh
if [ -f scripts/acro-venv.sh ]; then bash scripts/acro-venv.sh; fi
bash scripts/install-browser.sh   # Debian chromium + npm axe-core for the browser journeys
mkdir -p test-artifacts
pytest -q "$@"
