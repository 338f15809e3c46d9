#!/usr/bin/env bash
# Compiles scripts/infer/llama-logits.c against the llama.cpp build of shared/tools/build-llama-cpp.sh
# and prints the binary's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
refs="${MILLER_REFS:-${XDG_CACHE_HOME:-$HOME/.cache}/miller-refs}"
llama="$refs/llama-cpp-0.3.36/src/vendor/llama.cpp"
bin="$llama/build/bin"
out="$refs/llama-logits"
[ -f "$bin/libllama.so" ] || { echo "llama.cpp not built: run shared/tools/build-llama-cpp.sh" >&2; exit 1; }
if [ ! -x "$out" ] || [ "$here/llama-logits.c" -nt "$out" ]; then
  cc -O2 -o "$out" "$here/llama-logits.c" -I"$llama/include" -I"$llama/ggml/include" \
     -L"$bin" -lllama -lggml -lggml-base -Wl,-rpath,"$bin"
fi
echo "$out"
