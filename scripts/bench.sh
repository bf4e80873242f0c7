#!/usr/bin/env bash
# `make bench`: every benchmark of docs/performance.md, each writing benchmarks/results/<name>-<UTC date>.json|md.
#   1. the engine (Freigabe vs a plain pandas floor vs ACRO), 10^4 .. 10^7 cells, from in-memory frames;
#   2. scope cells (secondary suppression + audit);                       skip with FREIGABE_BENCH_CELLS=0
#   3. issue 16, whole processes from the file:                           skip with FREIGABE_BENCH_FILE=0
#      `freigabe check` vs pandas floors at 10^5 / 1.44*10^6 / 10^7 cells (+ XLSX, + the readers alone),
#      the upload API with a 10^6-cell file, the public release page vs a bare Flask page (gunicorn).
# Extra arguments go to bench_engine.py, e.g. `bash scripts/bench.sh --sizes 1e4,1e5 --repeat 1` for a quick look.
# Needs ~3 GiB free RAM at 10^7 cells; takes ~15 min on 2 shared cores (the 10^7-cell CSV, 370 MB, is generated
# once into ~/.cache/freigabe/bench-files/).
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
  .venv/bin/python benchmarks/attack_cities.py  # the independent attacker on 18 fresh cities (~2 min)
fi
# cross-release union audit (issue 13): restricted block table vs public Stadtteil table, against the previous
# implementation from git history; ~1 min; skip with FREIGABE_BENCH_XREL=0
if [ "${FREIGABE_BENCH_XREL:-1}" != 0 ]; then
  .venv/bin/python benchmarks/bench_xrel.py
fi
if [ "${FREIGABE_BENCH_FILE:-1}" != 0 ]; then
  .venv/bin/python benchmarks/bench_file.py
  .venv/bin/python benchmarks/bench_file_api.py
  .venv/bin/python benchmarks/bench_file_pages.py
fi
