#!/usr/bin/env bash
# System packages the test suite needs (Debian 12): PostgreSQL 15 server binaries for the private test
# cluster; rclone, the real WebDAV client of tests/downloads/test_dav.py; OpenLDAP's slapd + ldap-utils for
# the directory sign-on tests (tests/directory: the fixtures start their own slapd as the openldap user, the
# Debian service is not configured and stays off); LibreOffice Calc (no GUI) for the .xlsx conversion test.  Installs only what is missing; needs root (or sudo).
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
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapadd >/dev/null 2>&1 || ! command -v slaptest >/dev/null 2>&1; then
  need+=(slapd ldap-utils)
fi
# LibreOffice Calc without GUI: tests/catalog/test_xlsx_libreoffice.py converts a release .xlsx headless
if ! command -v soffice >/dev/null 2>&1; then
  need+=(libreoffice-calc-nogui)
fi
# issue 17: cairosvg (the map as PNG) loads the system library libcairo2
if ! ldconfig -p 2>/dev/null | grep -q 'libcairo\.so\.2'; then
  need+=(libcairo2)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# slapd: no system directory is configured (the tests run their own slapd), so nothing starts on port 389
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# the Debian package starts a system cluster; the tests use their own private one
$SUDO service postgresql stop >/dev/null 2>&1 || true
$SUDO service slapd stop >/dev/null 2>&1 || true
