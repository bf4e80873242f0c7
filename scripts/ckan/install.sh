#!/usr/bin/env bash
# Installs the CKAN test instance's software: ckan[requirements]==$CKAN_VERSION into its own venv under
# ~/.cache/freigabe/ckan-$CKAN_VERSION/venv (outside the clone, keyed by version), plus the system
# packages start.sh needs (redis-server, PostgreSQL 15 server binaries) where they are missing.
# The CKAN extensions the tests use go into the same venv (own stamp, keyed by their versions):
#   ckanext-dcat $DCAT_VERSION (PyPI; 2.4.4 works with CKAN 2.12, 2.3.0 answers /catalog.ttl with HTTP 500),
#   GovData's ckanext-dcatde $DCATDE_VERSION from the unmodified archive in ../shared/vendor/ beside the
#   checkout (no registry has it; its pin ckanext-dcat==2.3.0 is overridden: installed with --no-deps plus
#   its other requirements), ckanext-scheming $SCHEMING_VERSION (PyPI) for the scheming portal variant.
#   Without the vendor archive the install FAILS with a clear message (the tests need dcatde).
# Idempotent: stamp files mark a finished install; a second run returns at once.
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
DCAT_VERSION=${DCAT_VERSION:-2.4.4}
DCATDE_VERSION=${DCATDE_VERSION:-6.10.0}
SCHEMING_VERSION=${SCHEMING_VERSION:-3.1.0}
EXT_STAMP="$BASE/ext-dcat-$DCAT_VERSION-dcatde-$DCATDE_VERSION-scheming-$SCHEMING_VERSION.stamp"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

# the vendor folder: $FREIGABE_VENDOR_DIR, else ../shared/vendor beside the checkout (CI, /work/main),
# else ../../shared/vendor (a git worktree one level deeper, e.g. /work/wt/<name>)
find_vendor() {
  local d
  for d in "${FREIGABE_VENDOR_DIR:-}" "$ROOT/../shared/vendor" "$ROOT/../../shared/vendor"; do
    if [ -n "$d" ] && [ -f "$d/ckanext-dcatde-$DCATDE_VERSION.tar.gz" ]; then
      (cd "$d" && pwd)
      return 0
    fi
  done
  return 1
}

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

install_extensions() {
  [ -f "$EXT_STAMP" ] && return 0
  local vendor
  if ! vendor=$(find_vendor); then
    echo "install.sh: ERROR: ckanext-dcatde-$DCATDE_VERSION.tar.gz not found." >&2
    echo "install.sh: looked in \$FREIGABE_VENDOR_DIR (${FREIGABE_VENDOR_DIR:-unset}), $ROOT/../shared/vendor" >&2
    echo "install.sh: and $ROOT/../../shared/vendor. The CKAN tests need GovData's ckanext-dcatde, which no" >&2
    echo "install.sh: package registry offers: put shared/ (with vendor/) beside the checkout or set" >&2
    echo "install.sh: FREIGABE_VENDOR_DIR to the folder holding the archive." >&2
    exit 3
  fi
  local pipq=("$VENV/bin/pip" install --quiet)
  "${pipq[@]}" "ckanext-dcat==$DCAT_VERSION" "ckanext-scheming==$SCHEMING_VERSION" 2>&1 \
    | grep -v "is ignored: it is neither" >&2 || true
  # dcatde pins ckanext-dcat==2.3.0 (HTTP 500 on /catalog.ttl with CKAN 2.12): its other requirements by
  # hand, the package itself without dependencies, from the unmodified archive
  "${pipq[@]}" "ckantoolkit>=0.0.7" "pycountry>=21" "python-dateutil>=2.8.2" "SPARQLWrapper>=1.8.5" 2>&1 \
    | grep -v "is ignored: it is neither" >&2 || true
  "${pipq[@]}" --no-deps "$vendor/ckanext-dcatde-$DCATDE_VERSION.tar.gz" 2>&1 \
    | grep -v "is ignored: it is neither" >&2 || true
  "$VENV/bin/python" -c "import ckanext.dcat.profiles, ckanext.dcatde.profiles, ckanext.scheming.plugins" \
    || { echo "install.sh: ERROR: the CKAN extensions do not import" >&2; exit 3; }
  date -u +%Y-%m-%dT%H:%M:%SZ > "$EXT_STAMP"
  echo "install.sh: ckanext-dcat $DCAT_VERSION, ckanext-dcatde $DCATDE_VERSION, ckanext-scheming $SCHEMING_VERSION installed" >&2
}

if [ -f "$STAMP" ] && [ -x "$VENV/bin/ckan" ]; then
  install_extensions
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
install_extensions
