#!/usr/bin/env bash
# Installs the CKAN test instance's software: ckan[requirements]==$CKAN_VERSION into its own venv under
# ~/.cache/freigabe/ckan-$CKAN_VERSION/venv (outside the clone, keyed by version), plus the system
# packages start.sh needs (redis-server, PostgreSQL 15 server binaries) where they are missing.
# Idempotent: a stamp file marks a finished install; a second run returns at once.
#
#   scripts/ckan/install.sh            # install (or verify) the default version
#   CKAN_VERSION=2.12.0 scripts/ckan/install.sh
set -euo pipefail
CKAN_VERSION=${CKAN_VERSION:-2.12.0}
CACHE=${FREIGABE_CKAN_CACHE:-$HOME/.cache/freigabe}
BASE="$CACHE/ckan-$CKAN_VERSION"
VENV="$BASE/venv"
STAMP="$BASE/installed.stamp"
PYTHON=${PYTHON:-python3}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

mkdir -p "$BASE"
# two test runs starting at once on a fresh machine: the second waits for the first install
exec 9>"$BASE/install.lock"
flock 9

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! id postgres >/dev/null 2>&1; then
  need+=(postgresql-15)
fi
# libpq for psycopg2 wheels is bundled; libmagic is needed by python-magic (CKAN uploads)
if ! ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1'; then need+=(libmagic1); fi
# Debian's own python3 needs python3-venv for "-m venv" (pyenv/python.org builds bring it)
if [ ! -f "$BASE/installed.stamp" ] && ! "$PYTHON" -c "import ensurepip" >/dev/null 2>&1; then
  need+=(python3-venv)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "install.sh: apt-get install ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts system services on install; the tests run their own private instances
  # (only the services of packages installed just now)
  case " ${need[*]} " in *" redis-server "*) $SUDO service redis-server stop >/dev/null 2>&1 || true ;; esac
  case " ${need[*]} " in *" postgresql-15 "*) $SUDO service postgresql stop >/dev/null 2>&1 || true ;; esac
fi

if [ -f "$STAMP" ] && [ -x "$VENV/bin/ckan" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# (the machine's pip config may name absent local indexes; their warnings are noise)
"$VENV/bin/pip" install --quiet --upgrade pip setuptools wheel 2>&1 | grep -v "is ignored: it is neither" >&2 || true
"$VENV/bin/pip" install --quiet "ckan[requirements]==$CKAN_VERSION" 2>&1 | grep -v "is ignored: it is neither" >&2 || true
"$VENV/bin/python" -c "import ckan, ckan.config.middleware" >/dev/null
date -u +%Y-%m-%dT%H:%M:%SZ > "$STAMP"
echo "install.sh: CKAN $CKAN_VERSION installed in $VENV" >&2
