#!/usr/bin/env bash
# Stops exactly what scripts/ckan/start.sh started and removes its temporary state directory.
#   scripts/ckan/stop.sh ENV_FILE|STATE_DIR [--keep]     (--keep: leave the state dir, e.g. for its logs)
# Each process is checked against its command line before it is signalled, so a recycled pid is never hit.
set -uo pipefail
ARG=${1:?usage: stop.sh ENV_FILE|STATE_DIR [--keep]}
KEEP=${2:-}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ -d "$ARG" ]; then
  STATE=$ARG
else
  STATE=$(sed -n 's/^FREIGABE_CKAN_STATE_DIR=//p' "$ARG" | tail -n 1)
fi
case "$STATE" in
  */freigabe-ckan.*) ;;
  *) echo "stop.sh: $STATE is not a state dir made by start.sh" >&2; exit 2 ;;
esac
[ -d "$STATE" ] || { echo "stop.sh: $STATE is gone; nothing to stop" >&2; exit 0; }

matches() {  # matches PID PATTERN: the process exists and its command line contains PATTERN
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$2"
}
alive() {  # a zombie (exited, not yet reaped by its parent) counts as stopped
  [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != "Z" ]
}
get() { sed -n "s/^$1=//p" "$STATE/state.env" 2>/dev/null | tail -n 1; }

pids=()
CKAN_PID=""
[ -f "$STATE/ckan.pid" ] && CKAN_PID=$(cat "$STATE/ckan.pid")
matches "$CKAN_PID" "$STATE/ckan.ini" && pids+=("$CKAN_PID")
matches "$(get SOLR_PID)" "solr_standin.py" && pids+=("$(get SOLR_PID)")
matches "$(get REDIS_PID)" "redis-server" && pids+=("$(get REDIS_PID)")
# SIGTERM to all at once, PostgreSQL fast shutdown meanwhile, then wait (SIGKILL after 10 s)
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
if [ -f "$STATE/pg/data/postmaster.pid" ]; then
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$STATE/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
fi
for pid in "${pids[@]}"; do
  for _ in $(seq 1 100); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
done
if [ "$KEEP" != "--keep" ]; then
  rm -rf "$STATE"
fi
