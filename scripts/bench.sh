#!/usr/bin/env bash
# `make bench`: the engine benchmark (Freigabe vs a plain pandas floor vs ACRO), 10^4 .. 10^7 cells.
# Writes benchmarks/results/engine-<UTC date>.json and .md. Extra arguments go to bench_engine.py,
# e.g. `bash scripts/bench.sh --sizes 1e4,1e5 --repeat 1` for a quick look.
# Needs ~3 GiB free RAM at 10^7 cells; takes ~1.5 min (ACRO alone ~20 s at 10^4 cells).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/acro-venv.sh
.venv/bin/python benchmarks/bench_engine.py "$@"
# scope cells (secondary suppression + audit): ~1.5 min; skip with FREIGABE_BENCH_CELLS=0
if [ "${FREIGABE_BENCH_CELLS:-1}" != 0 ]; then
  .venv/bin/python benchmarks/bench_cells.py
fi
# cross-release union audit (issue 13): restricted block table vs public Stadtteil table, against the previous
# implementation from git history; ~1 min; skip with FREIGABE_BENCH_XREL=0
if [ "${FREIGABE_BENCH_XREL:-1}" != 0 ]; then
  .venv/bin/python benchmarks/bench_xrel.py
fi
