#!/usr/bin/env bash
# Runs the MSTest suite on an already built solution, then the package checks (eng/check-packages.sh: the packed
# packages and the neo tool used from outside the repository), and ends with "Tests: N passed, M failed, K skipped"
# counting both. NEO_SKIP_PACKAGE_CHECKS=1 runs the MSTest suite alone.
set -uo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-Release}
results=$(mktemp -d)
# One test project per package (test/*/ mirrors src/*/), run one after another: the machine has few cores, and a
# test that measures memory or time must not share them with another project's tests.
status=0
for project in test/Microsoft.ML.Neo.Tests test/Microsoft.ML.Neo.Server.Tests test/Microsoft.ML.Neo.Sweeps.Tests \
               test/Microsoft.ML.Neo.Data.Synthetic.Tests test/Neo.Cli.Tests; do
  name=$(basename "$project")
  dotnet test "$project/$name.csproj" -c "$configuration" --no-build \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" "${@:2}" || status=1
done
passed=0; failed=0; skipped=0; reports=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  reports=$((reports + 1))
  # <Counters total=".." executed=".." passed=".." failed=".." .../>
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  t=$(echo "$counters" | sed -n 's/.*total="\([0-9]*\)".*/\1/p')
  e=$(echo "$counters" | sed -n 's/.* executed="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "$reports" -eq 5 ]; then
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
  echo "Tests: ${passed} passed, $((failed + 1)) failed (only ${reports} of the 5 test projects wrote results)"
  status=1
fi
rm -rf "$results"
exit $status
