#!/usr/bin/env bash
# Proves the suite deterministic on a busy machine: runs the whole test suite RUNS times (default 5)
# while CPU burners (one per core, default) compete with it, and fails on the first red run.
#
#   bash scripts/stress-test.sh            # 5 runs, one burner per core
#   RUNS=3 BURNERS=4 bash scripts/stress-test.sh
#   bash scripts/stress-test.sh --check    # exit 0 if .ci/stress-stamp matches the timing-sensitive files
#
# On success it writes .ci/stress-stamp: a hash of the files whose change can make a test timing-
# sensitive (see STRESS_PATHS). `.ci/run` reruns this script whenever that hash differs from the stamp,
# so a change to the fault tests, the emulator or the retry/deadline code is always proven under
# load, either by its author (commit the stamp) or by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

STRESS_PATHS=(test/faults test/soak test/support test/emulator src/reliability src/cloud src/runtime vitest.config.mts)
STAMP=.ci/stress-stamp

stress_hash() {
  find "${STRESS_PATHS[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

if [ "${1:-}" = "--check" ]; then
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stress_hash)" ]
  exit $?
fi

RUNS=${RUNS:-5}
BURNERS=${BURNERS:-$(nproc)}
burners=()
stop_burners() { for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_burners EXIT

npm run build >/dev/null
for _ in $(seq "$BURNERS"); do
  node -e 'for (;;) {}' &
  burners+=("$!")
done
echo "stress: $RUNS runs of the whole suite beside $BURNERS CPU burners on $(nproc) cores"
for run in $(seq "$RUNS"); do
  started=$(date +%s)
  if ! NO_COLOR=1 npx vitest run >"/tmp/stress-run-$run.log" 2>&1; then
    echo "stress: run $run of $RUNS FAILED after $(($(date +%s) - started)) s; its output:"
    grep -E "FAIL|AssertionError|expected|Error:" "/tmp/stress-run-$run.log" | head -40
    exit 1
  fi
  echo "stress: run $run of $RUNS green in $(($(date +%s) - started)) s ($(grep -Eo 'Tests +[0-9]+ passed' "/tmp/stress-run-$run.log" | head -1))"
done
if [ "$RUNS" -ge 5 ]; then
  stress_hash >"$STAMP"
  echo "stress: all $RUNS runs green; $STAMP updated"
else
  echo "stress: all $RUNS runs green ($STAMP is only written after 5 or more)"
fi
