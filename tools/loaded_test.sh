#!/usr/bin/env bash
# Show that the suite does not depend on the machine's speed: `make test` on fresh clones of one commit,
# RUNS times in a row, while stress-ng keeps LOAD_CPUS cores busy and pytest runs PYTEST_WORKERS workers
# (more than the cores). Stops at the first failure; each run's output is in OUT/run-N.log, its stage
# table in OUT/run-N.times, and OUT/summary has one line per run.
# Usage: tools/loaded_test.sh [COMMIT]   (default HEAD; needs stress-ng: apt-get install stress-ng)
#   RUNS=3 LOAD_CPUS=1 PYTEST_WORKERS=6 OUT=.cache/loaded tools/loaded_test.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$root" rev-parse --short "${1:-HEAD}") || exit 2
runs=${RUNS:-3}
out=$(mkdir -p "${OUT:-$root/.cache/loaded}" && cd "${OUT:-$root/.cache/loaded}" && pwd)
command -v stress-ng > /dev/null || { echo "stress-ng is not installed (apt-get install stress-ng)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/huc-loaded-XXXXXX")
stress-ng --cpu "${LOAD_CPUS:-1}" --timeout 6h > /dev/null 2>&1 &
stress=$!
trap 'kill "$stress" 2> /dev/null; rm -rf "$work"' EXIT
: > "$out/summary"
status=0
for run in $(seq 1 "$runs"); do
  clone="$work/run-$run"
  git clone -q "$root" "$clone" && git -C "$clone" checkout -q "$commit" || exit 2
  start=$(date +%s)
  if (cd "$clone" && PYTEST_WORKERS=${PYTEST_WORKERS:-6} bash .ci/run) > "$out/run-$run.log" 2>&1; then
    verdict=passed
  else
    verdict=FAILED
    status=1
  fi
  cat "$clone"/.cache/test-times* > "$out/run-$run.times" 2> /dev/null
  echo "run $run of $commit $verdict in $(( $(date +%s) - start )) s (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/summary"
  [ "$status" = 0 ] || break
  rm -rf "$clone"
done
exit "$status"
