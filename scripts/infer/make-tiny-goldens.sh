#!/usr/bin/env bash
# Regenerates Tests/InferTests/Fixtures/model/: the tiny Qwen2 GGUF and llama.cpp's logits and greedy
# tokens for it. Needs shared/tools/get-reference-model.sh's venv (gguf, numpy) and
# shared/tools/build-llama-cpp.sh's build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
refs="${MILLER_REFS:-${XDG_CACHE_HOME:-$HOME/.cache}/miller-refs}"
llama="$refs/llama-cpp-0.3.36/src/vendor/llama.cpp"
py="$refs/qwen2.5-coder-0.5b/venv/bin/python"
fix="$root/Tests/InferTests/Fixtures/model"
mkdir -p "$fix"
tool=$("$root/scripts/infer/build-llama-logits.sh")
"$py" "$root/scripts/infer/make-tiny-fixture.py" "$fix/tiny-qwen2-q8_0.gguf"
ids="3 141 59 265 35 89 79 32 38 46 264 33 83 27 95 28 84 197 169 39 298 7 120 250"
"$tool" "$fix/tiny-qwen2-q8_0.gguf" logits "$fix/tiny-qwen2-logits.bin" $ids
{ echo "$ids"; "$tool" "$fix/tiny-qwen2-q8_0.gguf" greedy 32 $ids; } > "$fix/tiny-qwen2-greedy.txt"
ls -l "$fix"
