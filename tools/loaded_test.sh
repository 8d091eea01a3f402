#!/usr/bin/env bash
# Show that the suite does not depend on the machine's speed: `make test` on fresh clones of one commit,
# RUNS times in a row, while stress-ng keeps LOAD_CPUS cores busy and pytest runs PYTEST_WORKERS workers
# (more than the cores). Stops at the first failure. With PARALLEL=1 the RUNS clones run at once instead,
# each loaded by the others (no stress-ng). Each run's output is in OUT/run-N.log, its stage table in
# OUT/run-N.times, and OUT/summary has one line per run.
# Usage: tools/loaded_test.sh [COMMIT]   (default HEAD; needs stress-ng unless PARALLEL=1)
#   RUNS=3 LOAD_CPUS=1 PYTEST_WORKERS=6 OUT=.cache/loaded tools/loaded_test.sh
#   PARALLEL=1 PYTEST_WORKERS=4 tools/loaded_test.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse --short "${1:-HEAD}") || exit 2
runs=${RUNS:-3}
parallel=${PARALLEL:-0}
out=$(mkdir -p "${OUT:-$root/.cache/loaded}" && cd "${OUT:-$root/.cache/loaded}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/huc-loaded-XXXXXX")
stress=
if [ "$parallel" != 1 ]; then
  command -v stress-ng > /dev/null || { echo "stress-ng is not installed (apt-get install stress-ng)" >&2; exit 2; }
  stress-ng --cpu "${LOAD_CPUS:-1}" --timeout 6h > /dev/null 2>&1 &
  stress=$!
fi
trap '[ -z "$stress" ] || kill "$stress" 2> /dev/null; rm -rf "$work"' EXIT
: > "$out/summary"

# one_run N: make test in a fresh clone; its verdict in the summary; status 1 when it failed.
one_run() {
  local clone="$work/run-$1" start verdict=passed
  git clone -q "$root" "$clone" && git -C "$clone" checkout -q "$commit" || return 2
  start=$(date +%s)
  (cd "$clone" && PYTEST_WORKERS=${PYTEST_WORKERS:-6} bash .ci/run) > "$out/run-$1.log" 2>&1 || verdict=FAILED
  cat "$clone"/.cache/test-times* > "$out/run-$1.times" 2> /dev/null
  echo "run $1 of $commit $verdict in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/summary"
  rm -rf "$clone"
  [ "$verdict" = passed ]
}

status=0
if [ "$parallel" = 1 ]; then
  pids=()
  for run in $(seq 1 "$runs"); do
    one_run "$run" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || status=1
  done
else
  for run in $(seq 1 "$runs"); do
    one_run "$run" || { status=1; break; }
  done
fi
exit "$status"
