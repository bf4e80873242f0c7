#!/usr/bin/env bash
# Property-based fuzzing of the intake parser and the engine (tests/fuzz), a separate long job.
#   scripts/fuzz.sh [minutes]     (default 5; the minutes are split over the fuzz tests)
# Every failure hypothesis finds is printed with its minimal example; keep each as a regression case in
# tests/security/test_fuzz_regressions.py.  Per-test example counts are appended to $FREIGABE_FUZZ_FIGURES.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-5}"
TESTS=5
export FREIGABE_FUZZ=1
export FREIGABE_FUZZ_SECONDS="$(python3 -c "print(max(5, int(float('$MINUTES') * 60 / $TESTS)))")"
export FREIGABE_FUZZ_FIGURES="${FREIGABE_FUZZ_FIGURES:-/tmp/freigabe-fuzz-counts.txt}"
: > "$FREIGABE_FUZZ_FIGURES"
start=$(date +%s)
status=0
.venv/bin/pytest tests/fuzz -q -p no:randomly "${@:2}" || status=$?
echo "fuzz: ${MINUTES} min budget, $(( $(date +%s) - start )) s wall; examples per test:"
cat "$FREIGABE_FUZZ_FIGURES"
exit $status
