#!/usr/bin/env bash
# Runs the MSTest suite on an already built solution and ends with "Tests: N passed, M failed".
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
  echo "Tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
else
  echo "Tests: 0 passed, 1 failed (no test results were written)"
  status=1
fi
rm -rf "$results"
exit $status
