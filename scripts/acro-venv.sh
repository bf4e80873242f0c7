#!/usr/bin/env bash
# Creates benchmarks/.venv-acro with PyPI acro (the Python peer of Freigabe's threshold rule), for the
# ACRO compatibility test (tests/acro/) and the engine benchmark (benchmarks/bench_engine.py).
# ACRO pins pandas <= 2.3.3, so it never becomes a dependency of the project: it lives in its own venv,
# gitignored. Wheels come from the pip cache under ~/.cache/pip, so a fresh clone is quick.
# Idempotent: a stamp file keyed by the ACRO version; re-running with the stamp present does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ACRO_VERSION="${ACRO_VERSION:-1.0.2}"
VENV="benchmarks/.venv-acro"
STAMP="$VENV/.installed-acro-$ACRO_VERSION"
if [ -f "$STAMP" ] && "$VENV/bin/python" -c "import acro" >/dev/null 2>&1; then
    exit 0
fi
PY="${ACRO_PYTHON:-}"
if [ -z "$PY" ]; then
    for cand in python3.11 python3; do
        if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
    done
fi
echo "acro-venv: creating $VENV with acro==$ACRO_VERSION ($($PY --version))" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "acro==$ACRO_VERSION"
"$VENV/bin/python" -c "import acro, pandas; print('acro-venv: acro', '$ACRO_VERSION', 'pandas', pandas.__version__)" >&2
touch "$STAMP"
