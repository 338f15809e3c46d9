#!/usr/bin/env bash
# One LLM-driven `miller size` run on the challenge spec with the reference Qwen2.5-Coder-0.5B Q8_0
# model: FoM, iterations, LLM calls and tokens, LLM seconds and wall time (a single run: several minutes).
# Usage: scripts/bench/size_llm.sh [model.gguf]   (needs a release build: swift build -c release --product miller)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-$HOME/.cache/miller-refs/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q8_0.gguf}
[ -f "$model" ] || { echo "skipped: no model at $model (shared/tools/get-reference-model.sh)"; exit 0; }
out=$(mktemp -d)
s=$(date +%s.%N)
.build/release/miller size --spec specs/aicas2025.toml --model "$model" --out "$out" > "$out/stdout.txt" 2> "$out/stderr.txt"
e=$(date +%s.%N)
printf '| what | wall s | result |\n|---|---|---|\n'
printf '| miller size --model (1 run) | %.1f | %s; %s; %s |\n' "$(echo "$e - $s" | bc)" \
  "$(grep -o '^FoM [0-9.]*' "$out/stdout.txt" | head -1)" "$(grep -o '^status: [a-z_]*' "$out/stdout.txt")" \
  "$(grep -o 'iterations .*' "$out/stdout.txt" | head -1)"
rm -rf "$out"
