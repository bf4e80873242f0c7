#!/usr/bin/env bash
# System packages the test suite needs (Debian 12): PostgreSQL 15 server binaries for the private test
# cluster; rclone, the real WebDAV client of tests/downloads/test_dav.py.  Installs only what is missing;
# needs root (or sudo).
set -euo pipefail
need=()
if [ ! -x /usr/lib/postgresql/15/bin/initdb ] || [ ! -x /usr/lib/postgresql/15/bin/pg_ctl ]; then
  need+=(postgresql-15)
fi
if ! id postgres >/dev/null 2>&1; then
  need+=(postgresql-15)
fi
if ! command -v rclone >/dev/null 2>&1; then
  need+=(rclone)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# the Debian package starts a system cluster; the tests use their own private one
$SUDO service postgresql stop >/dev/null 2>&1 || true
