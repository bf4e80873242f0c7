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
# the map as PNG (cairosvg) needs the system library libcairo2 (Debian; docs/operations.md)
if ! ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installiere libcairo2 (Karte als PNG) ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcairo2 >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcairo2 >/dev/null; } \
      || echo "Hinweis: libcairo2 fehlt; die Karte als PNG ist nicht verfügbar (SVG und GeoJSON schon)."
  else
    echo "Hinweis: libcairo2 fehlt (apt-get install libcairo2); die Karte als PNG ist nicht verfügbar."
  fi
fi
.venv/bin/freigabe db upgrade
.venv/bin/freigabe demo load
echo
echo "Freigabe läuft auf http://127.0.0.1:${PORT}  (Strg+C beendet)"
# the web process runs a publication worker thread too (approved demo releases get published)
FREIGABE_WORKER_IN_PROCESS=true exec .venv/bin/freigabe run --host 127.0.0.1 --port "$PORT"
