#!/usr/bin/env bash
# The UI catalogue (publisher.i18n, docs/architecture.md "Texts and languages"); `make messages`.
#   bash scripts/i18n.sh           extract messages.pot from Python and templates (babel.cfg), update every
#                                  language's messages.po (new ids empty, unused ids dropped), compile .mo
#   bash scripts/i18n.sh compile   compile only (after translating entries in a .po)
#   bash scripts/i18n.sh check     list untranslated/fuzzy/unused entries and stale .mo files; exit 1 if any
# The compiled .mo files are committed (a fresh clone works right after `pip install -e .`).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON_BIN:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" -m publisher.i18n_tools "${1:-update}"
