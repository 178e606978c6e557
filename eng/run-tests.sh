#!/usr/bin/env bash
# Runs the MSTest suite on an already built solution, then the package checks (eng/check-packages.sh: the packed
# packages and the neo tool used from outside the repository), and ends with "Tests: N passed, M failed, K skipped"
# counting both. NEO_SKIP_PACKAGE_CHECKS=1 runs the MSTest suite alone.
set -uo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-Release}
results=$(mktemp -d)
dotnet test test/Microsoft.ML.Neo.Tests/Microsoft.ML.Neo.Tests.csproj -c "$configuration" --no-build \
  --logger "trx;LogFileName=results.trx" --results-directory "$results" "${@:2}"
status=$?
trx="$results/results.trx"
if [ -f "$trx" ]; then
  # <Counters total=".." executed=".." passed=".." failed=".." .../>
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  passed=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  failed=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  total=$(echo "$counters" | sed -n 's/.*total="\([0-9]*\)".*/\1/p')
  executed=$(echo "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p')
  skipped=$(( ${total:-0} - ${executed:-0} ))
  if [ "${NEO_SKIP_PACKAGE_CHECKS:-0}" != "1" ]; then
    package_log=$(mktemp)
    ./eng/check-packages.sh | tee "$package_log"
    package_status=${PIPESTATUS[0]}
    [ "$package_status" -eq 0 ] || status=1
    line=$(grep '^Package checks:' "$package_log" | tail -n 1)
    package_passed=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
    package_failed=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    [ -n "$line" ] || package_failed=1
    passed=$(( ${passed:-0} + ${package_passed:-0} ))
    failed=$(( ${failed:-0} + ${package_failed:-0} ))
    rm -f "$package_log"
  fi
  echo "Tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
else
  echo "Tests: 0 passed, 1 failed (no test results were written)"
  status=1
fi
rm -rf "$results"
exit $status
