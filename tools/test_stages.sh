#!/usr/bin/env bash
# Run the stages of make test: the stages of the first argument one after another in the foreground,
# then every further argument as a lane, the lanes at once, each lane's stages one after another.
# Lanes keep 2 cores busy where one stage alone waits on emulators and processes. A lane's output
# goes to .cache/test-lane-N.log and is printed when the lane ends. Every stage's wall time is
# printed at the end; the exit status is 1 when any stage failed.
# Usage: tools/test_stages.sh "pytest" "sanity units lint" "integration molecule"
set -uo pipefail
make=${MAKE:-make}
logs=.cache
mkdir -p "$logs"

# run_lane STAGES...: each stage in turn, "<stage> <seconds> s" on fd 3 after each, stop at a failure.
run_lane() {
  local stage start
  for stage in "$@"; do
    start=$(date +%s)
    if ! "$make" --no-print-directory "$stage"; then
      echo "$stage FAILED after $(( $(date +%s) - start )) s" >&3
      return 1
    fi
    echo "$stage $(( $(date +%s) - start )) s" >&3
  done
}

total=$(date +%s)
status=0
: > "$logs/test-times"
# shellcheck disable=SC2086  # a lane is a word list of stage names
run_lane $1 3>>"$logs/test-times" || status=1
shift
if [ "$status" = 0 ] && [ $# -gt 0 ]; then
  pids=()
  lane=0
  for stages in "$@"; do
    lane=$((lane + 1))
    echo "== lane $lane: $stages (output in $logs/test-lane-$lane.log)"
    # shellcheck disable=SC2086
    run_lane $stages 3>"$logs/test-times-$lane" >"$logs/test-lane-$lane.log" 2>&1 &
    pids+=($!)
  done
  lane=0
  for pid in "${pids[@]}"; do
    lane=$((lane + 1))
    wait "$pid" || status=1
    echo "== lane $lane output"
    cat "$logs/test-lane-$lane.log"
    cat "$logs/test-times-$lane" >>"$logs/test-times"
  done
fi
times=$(paste -sd, "$logs/test-times" | sed 's/,/, /g')
if [ "$status" = 0 ]; then
  echo "== make test passed in $(( $(date +%s) - total )) s: $times"
else
  echo "== make test FAILED after $(( $(date +%s) - total )) s: $times"
fi
exit $status
