#!/usr/bin/env bash
# Creates .venv and installs Freigabe with its test extras. Wheels are cached
# outside the clone (~/.cache/pip), so a fresh clone on the same machine is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[test]'
