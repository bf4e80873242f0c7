#!/usr/bin/env bash
# `make test`: installs what the tests need, starts their servers, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p test-artifacts
pytest -q "$@"
