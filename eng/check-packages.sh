#!/usr/bin/env bash
# Checks the packed packages the way a user meets them, outside this repository:
#   - packs Microsoft.ML.Neo, its natives packages, Server, Sweeps, Data.Synthetic and the neo tool into a folder feed;
#   - creates a console app with `dotnet new console` + `dotnet add package Microsoft.ML.Neo.Cpu.Linux`, then:
#     dotnet build -o out, fit -> save zip -> load in a fresh process -> predict, and the same from
#     `dotnet publish` framework-dependent and self-contained linux-x64;
#   - an app with Microsoft.ML.Neo but no natives fails with a message naming the package to add;
#   - an app with Microsoft.ML.Neo.Cpu.Linux and Microsoft.ML.TorchSharp runs both in one process;
#   - `dotnet tool install Microsoft.ML.Neo.Cli` (command neo) from the feed as documented, without --version, then neo's commands, their --json results and exit codes.
# Prints PASS/FAIL per check and ends with "Package checks: N passed, M failed". Needs a Release build first.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work=$(mktemp -d /tmp/neo-package-check.XXXXXX)
feed="$work/feed"
models="$repo/src/Neo.Cli/EmbeddedModels"
data="$repo/test/Packages/train.jsonl"
version=$(dotnet msbuild src/Microsoft.ML.Neo/Microsoft.ML.Neo.csproj -getProperty:PackageVersion)
passed=0 failed=0

check() { # check NAME COMMAND... : runs the command, logs its output, counts it
  local name=$1; shift
  local log="$work/log-$((passed + failed)).txt"
  if "$@" >"$log" 2>&1; then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name (log: $log)"; tail -n 25 "$log" | sed 's/^/    /'; failed=$((failed + 1))
  fi
}

finish() {
  echo "Package checks: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && rm -rf "$work"
  [ "$failed" -eq 0 ]
  exit
}

# Packages with this version must come from this feed, not from an earlier run's copies in the NuGet cache.
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
for id in microsoft.ml.neo microsoft.ml.neo.cpu.linux microsoft.ml.neo.cpu microsoft.ml.neo.cli microsoft.ml.neo.server microsoft.ml.neo.sweeps microsoft.ml.neo.data.synthetic; do rm -rf "${cache%/}/$id/$version"; done
# The checks restore into a NuGet folder of their own, with the user's cache as a read-only fallback for everything
# else (TorchSharp, libtorch: nothing is copied). The user's cache never receives these packages, so a later
# `dotnet add package` of a new local pack cannot be served a copy left here by the checks.
export NUGET_PACKAGES="$work/nuget-packages" NUGET_FALLBACK_PACKAGES="${cache%/}"

check "dotnet pack (library, natives packages, server, neo tool)" dotnet pack NeoMl.sln -c Release --no-build -o "$feed" -v quiet -nologo
if [ "$failed" -gt 0 ]; then finish; fi
check "Microsoft.ML.Neo package has XML docs, README, symbols and no build-time tools" bash -c "
  unzip -l '$feed/Microsoft.ML.Neo.$version.nupkg' | grep -q 'lib/net10.0/Microsoft.ML.Neo.xml' &&
  unzip -l '$feed/Microsoft.ML.Neo.$version.nupkg' | grep -q 'README.md' &&
  [ -f '$feed/Microsoft.ML.Neo.$version.snupkg' ] &&
  ! unzip -p '$feed/Microsoft.ML.Neo.$version.nupkg' Microsoft.ML.Neo.nuspec | grep -qi publicizer"

new_app() { # new_app DIR PACKAGE... : dotnet new console + a nuget.config adding the feed + dotnet add package
  local dir=$1; shift
  mkdir -p "$dir" && cd "$dir" || return 1
  dotnet new console --force >/dev/null || return 1
  # No <clear/>: the machine's own package sources stay, for the dependencies.
  printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n    <add key="neo-local" value="%s" />\n  </packageSources>\n</configuration>\n' "$feed" > nuget.config
  for package in "$@"; do dotnet add package "$package" --prerelease >/dev/null || return 1; done
  cd "$repo"
}

app="$work/app"
check "a new console app adds Microsoft.ML.Neo.Cpu.Linux from the feed" new_app "$app" Microsoft.ML.Neo.Cpu.Linux
cp test/Packages/NeoConsumer/Program.cs "$app/Program.cs"
check "dotnet build -c Release -o out" dotnet build "$app" -c Release -o "$app/out" -nologo -v quiet
check "fit -> save zip (dotnet build output)" bash -c "dotnet '$app/out/app.dll' fit '$models/teacher' '$models/student' '$data' '$work/model.zip' > '$work/fit.txt'"
prompt=$(head -n 1 "$data" | sed 's/^{"prompt": "\([^"]*\)".*/\1/')
prompt=${prompt//\\n/$'\n'} # the JSON escape \n is a line break in the prompt the app was fitted on
same_completion() { # same_completion COMMAND... : the fresh process completes the first prompt as the fitting one did
  local got; got=$("$@" predict "$work/model.zip" "$prompt") || return 1
  echo "fit:     $(cat "$work/fit.txt")"; echo "predict: $got"
  [ "$got" = "$(cat "$work/fit.txt")" ]
}
check "load zip in a fresh process -> same prediction (dotnet build output)" same_completion dotnet "$app/out/app.dll"
check "dotnet publish -c Release -o pub (framework-dependent)" dotnet publish "$app" -c Release -o "$app/pub" -nologo -v quiet
check "published app (framework-dependent) predicts the same" same_completion "$app/pub/app"
check "dotnet publish -c Release -r linux-x64 --self-contained" dotnet publish "$app" -c Release -r linux-x64 --self-contained -o "$app/pub-sc" -nologo -v quiet
check "published app (self-contained) predicts the same" same_completion "$app/pub-sc/app"

bare="$work/bare"
check "an app with Microsoft.ML.Neo alone builds" bash -c "$(declare -f new_app); feed='$feed' repo='$repo'; new_app '$bare' Microsoft.ML.Neo && cp '$repo/test/Packages/NeoConsumer/Program.cs' '$bare/Program.cs' && dotnet build '$bare' -c Release -o '$bare/out' -nologo -v quiet"
# TorchSharp also looks in the NuGet cache for libtorch; an empty NUGET_PACKAGES hides it, as on a user's server.
check "without natives, the first call names the package to add" bash -c "
  ! NUGET_PACKAGES='$work/empty' dotnet '$bare/out/bare.dll' predict '$work/model.zip' x > '$work/bare.txt' 2>&1;
  cat '$work/bare.txt'; grep -q 'dotnet add package Microsoft.ML.Neo.Cpu.Linux' '$work/bare.txt'"

both="$work/both"
check "an app with Microsoft.ML.Neo.Cpu.Linux and Microsoft.ML.TorchSharp builds" bash -c "$(declare -f new_app); feed='$feed' repo='$repo'; new_app '$both' Microsoft.ML.Neo.Cpu.Linux Microsoft.ML.TorchSharp && cp '$repo/test/Packages/TorchSharpCoexistence/Program.cs' '$both/Program.cs' && dotnet build '$both' -c Release -o '$both/out' -nologo -v quiet"
check "NeoDistill and Microsoft.ML.TorchSharp modules run in one process" bash -c "
  dotnet '$both/out/both.dll' '$models/teacher' '$models/student' '$data' | tee '$work/both.txt' && grep -q 'GeLUFast: max difference' '$work/both.txt' && grep -q 'NeoDistill: step 2/2' '$work/both.txt'"

tools="$work/tools"
check "dotnet tool install Microsoft.ML.Neo.Cli from the feed, as documented" dotnet tool install Microsoft.ML.Neo.Cli --tool-path "$tools" --add-source "$feed" --prerelease
neo="$tools/neo"
check "neo init writes the pair and data that docs/using-in-your-app.md fits on, and the app fits on them" bash -c "
  '$neo' init --out '$work/start' && dotnet '$app/out/app.dll' fit '$work/start/teacher' '$work/start/student' '$work/start/train.jsonl' '$work/start.zip' | grep -q 'completion:'"
check "neo --help lists the commands" bash -c "'$neo' --help | grep -q distill && '$neo' --help | grep -q 'make-student'"
check "neo distill --help shows an example" bash -c "'$neo' distill --help | grep -q 'Example:'"
check "neo distill without --data exits 2" bash -c "'$neo' distill --teacher x --student y; [ \$? -eq 2 ]"
check "neo distill with a missing data file exits 2 naming it" bash -c "'$neo' distill --teacher '$models/teacher' --student '$models/student' --data '$work/none.jsonl' 2> '$work/err.txt'; rc=\$?; cat '$work/err.txt'; [ \$rc -eq 2 ] && grep -q none.jsonl '$work/err.txt'"
check "neo distill --json writes the zip and a JSON result" bash -c "
  '$neo' distill --teacher '$models/teacher' --student '$models/student' --data '$data' --batch 8 --rank 4 --max-new-tokens 16 \
    --out '$work/neo.zip' --precision float32 --json > '$work/distill.json' && grep -q '\"steps\": 2' '$work/distill.json' && [ -f '$work/neo.zip' ] && [ ! -d '$work/neo.zip.checkpoint' ]"
# Field 5 of the phase table is "student gen": on-policy steps sample before the teacher scores, and that time is shown.
check "neo distill --on-policy 1 reports the student's sampling time" bash -c "
  '$neo' distill --teacher '$models/teacher' --student '$models/student' --data '$data' --batch 8 --rank 4 --max-new-tokens 16 --kd 0.5 \
    --on-policy 1 --out '$work/onpolicy.zip' --precision float32 > '$work/onpolicy.txt' && cat '$work/onpolicy.txt' &&
  grep -q '| student gen |' '$work/onpolicy.txt' && awk -F'|' '/steps 2-2/ { found = 1; sampled = \$5 + 0 > 0 } END { exit !(found && sampled) }' '$work/onpolicy.txt'"
check "neo predict --json" bash -c "'$neo' predict --model '$work/neo.zip' --prompt '$prompt' --json | grep -q '\"completion\"'"
check "neo evaluate --json" bash -c "'$neo' evaluate --model '$work/neo.zip' --data '$data' --json | tee /dev/stderr | grep -q '\"evaluated\": 16'"
check "neo export --hf --peft" bash -c "'$neo' export --model '$work/neo.zip' --hf '$work/merged' --peft '$work/peft' && [ -f '$work/merged/model.safetensors' ] && [ -f '$work/peft/adapter_config.json' ]"
check "neo predict on the exported folder" bash -c "'$neo' predict --model '$work/merged' --prompt '$prompt' --max-new-tokens 8 | grep -q Completion"
check "neo make-student" bash -c "'$neo' make-student --from '$models/teacher' --layers 2 --out '$work/small' && grep -q '\"num_hidden_layers\": 2' '$work/small/config.json'"
check "neo tokenize --json" bash -c "'$neo' tokenize --model '$models/student' --text 'Tom has 5 stamps.' --json | grep -q '\"ids\"'"
check "Microsoft.ML.Neo.Server package packs with its README" bash -c "unzip -l '$feed/Microsoft.ML.Neo.Server.$version.nupkg' | grep -q README.md"
check "Microsoft.ML.Neo.Sweeps packs with its README; Microsoft.ML.Neo needs neither FastTree nor ScottPlot" bash -c "
  unzip -l '$feed/Microsoft.ML.Neo.Sweeps.$version.nupkg' | grep -q README.md &&
  unzip -p '$feed/Microsoft.ML.Neo.Sweeps.$version.nupkg' Microsoft.ML.Neo.Sweeps.nuspec | grep -q 'Microsoft.ML.FastTree' &&
  ! unzip -p '$feed/Microsoft.ML.Neo.$version.nupkg' Microsoft.ML.Neo.nuspec | grep -qiE 'FastTree|ScottPlot'"
check "Microsoft.ML.Neo.Data.Synthetic packs with its README; the core package carries no task generator" bash -c "
  unzip -l '$feed/Microsoft.ML.Neo.Data.Synthetic.$version.nupkg' | grep -q README.md &&
  unzip -p '$feed/Microsoft.ML.Neo.Data.Synthetic.$version.nupkg' lib/net10.0/Microsoft.ML.Neo.Data.Synthetic.dll | grep -qa StyledWordProblems &&
  ! unzip -p '$feed/Microsoft.ML.Neo.$version.nupkg' lib/net10.0/Microsoft.ML.Neo.dll | grep -qa StyledWordProblems"
# A served teacher end to end: neo serve on a free loopback port, neo distill --teacher-url against it, Ctrl+C stops the server.
check "neo serve + neo distill --teacher-url over loopback, both at their defaults; Ctrl+C stops the server" bash -c "
  set -m
  '$neo' serve --model '$models/teacher' --port 0 > '$work/serve.txt' 2>&1 & pid=\$!
  for i in \$(seq 1 300); do grep -q 'serving' '$work/serve.txt' 2>/dev/null && break; sleep 0.1; done
  url=\$(grep -o 'at http://[^ ]*' '$work/serve.txt' | head -1 | cut -c4-)
  '$neo' distill --teacher-url \$url --student '$models/student' --data '$data' --batch 8 --rank 4 --out '$work/served.zip' --precision float32 --json > '$work/served.json'
  rc=\$?; kill -INT \$pid; wait \$pid; cat '$work/serve.txt' '$work/served.json'
  [ \$rc -eq 0 ] && grep -q '\"steps\": 2' '$work/served.json' && [ -f '$work/served.zip.checkpoint.teacher-cache/teacher-scores.bin' ] && grep -q 'stopped: 16 completions' '$work/serve.txt'"
# set -m: without job control, bash starts background commands with SIGINT ignored, and Ctrl+C could not reach neo.
check "Ctrl+C stops neo distill with exit code 130 and keeps the checkpoint; the same command continues" bash -c "
  set -m
  args=(distill --teacher '$models/teacher' --student '$models/student' --data '$data' --batch 1 --epochs 40 --rank 4 --out '$work/int.zip' --precision float32)
  '$neo' \"\${args[@]}\" > '$work/int.txt' 2>&1 & pid=\$!
  for i in \$(seq 1 600); do grep -q 'step 1/640' '$work/int.txt' 2>/dev/null && break; sleep 0.1; done
  sleep 1; kill -INT \$pid; wait \$pid; rc=\$?; cat '$work/int.txt'
  [ \$rc -eq 130 ] && [ -f '$work/int.zip.checkpoint/trainer_state.json' ] &&
  '$neo' \"\${args[@]}\" | tee '$work/int2.txt' | grep -q 'continuing from the checkpoint' && [ -f '$work/int.zip' ]"
check "the user's NuGet cache holds none of the packages the checks restored" bash -c "
  for id in microsoft.ml.neo microsoft.ml.neo.cpu.linux microsoft.ml.neo.cpu microsoft.ml.neo.cli microsoft.ml.neo.server microsoft.ml.neo.sweeps microsoft.ml.neo.data.synthetic; do
    [ ! -e '${cache%/}/'\$id/'$version' ] || { echo \"left in the user's cache: \$id $version\"; exit 1; }
  done"
finish
