#!/usr/bin/env bash
# `make bench`: the engine benchmark (Freigabe vs a plain pandas floor vs ACRO), 10^4 .. 10^7 cells.
# Writes benchmarks/results/engine-<UTC date>.json and .md. Extra arguments go to bench_engine.py,
# e.g. `bash scripts/bench.sh --sizes 1e4,1e5 --repeat 1` for a quick look.
# Needs ~3 GiB free RAM at 10^7 cells; takes ~1.5 min (ACRO alone ~20 s at 10^4 cells).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/acro-venv.sh
.venv/bin/python benchmarks/bench_engine.py "$@"
# scope cells (secondary suppression + integer audit, both modes, proven lower bounds, information loss against
# the whole-table rule; docs/performance.md): ~20-30 min on 2 shared cores; skip with FREIGABE_BENCH_CELLS=0,
# a quick look: FREIGABE_BENCH_CELLS_ARGS="--tables block300,koeln86,small3d --lb-seconds 30"
if [ "${FREIGABE_BENCH_CELLS:-1}" != 0 ]; then
  # shellcheck disable=SC2086
  .venv/bin/python benchmarks/bench_cells.py ${FREIGABE_BENCH_CELLS_ARGS:-}
  .venv/bin/python benchmarks/koeln_attack.py  # the real Köln file, if present (never committed)
fi
