#!/usr/bin/env bash
# Creates .venv and installs Freigabe with its test extras. Wheels are cached
# outside the clone (~/.cache/pip), so a fresh clone on the same machine is quick.
# Quiet: one progress line; pip's own output goes to .venv/install.log and is shown only on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
log=.venv/install.log
echo "Installiere Freigabe und Abhängigkeiten in .venv ... (Protokoll: $log)"
if ! { .venv/bin/pip install --quiet --upgrade pip && .venv/bin/pip install --quiet -e '.[test]'; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "Installation fehlgeschlagen (siehe oben / $log)" >&2
  exit 1
fi
echo "Installation fertig."
