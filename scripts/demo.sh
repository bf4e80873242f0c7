#!/usr/bin/env bash
# `make demo`: migrate a SQLite database, load demo data (generated passwords printed once), serve
# http://127.0.0.1:5000 (loopback only).  The demo data directory is recreated on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
export FREIGABE_DATA_DIR="${FREIGABE_DATA_DIR:-$PWD/var/demo}"
export FREIGABE_SESSION_COOKIE_SECURE="${FREIGABE_SESSION_COOKIE_SECURE:-false}"  # plain HTTP on loopback
unset FREIGABE_DATABASE_URL FREIGABE_STORAGE_DIR
PORT="${FREIGABE_DEMO_PORT:-5000}"
case "$FREIGABE_DATA_DIR" in
  */var/demo) rm -rf "$FREIGABE_DATA_DIR" ;;
esac
mkdir -p "$FREIGABE_DATA_DIR"
.venv/bin/freigabe db upgrade
.venv/bin/freigabe demo load
echo
echo "Freigabe läuft auf http://127.0.0.1:${PORT}  (Strg+C beendet)"
# the web process runs a publication worker thread too (approved demo releases get published)
FREIGABE_WORKER_IN_PROCESS=true exec .venv/bin/freigabe run --host 127.0.0.1 --port "$PORT"
