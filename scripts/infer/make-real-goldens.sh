#!/usr/bin/env bash
# llama.cpp references for the real Qwen2.5-Coder-0.5B Q8_0 model (shared/tools/get-reference-model.sh):
#  - Tests/InferTests/Fixtures/model/qwen2.5-coder-0.5b-greedy.txt (committed, small): for each prompt of
#    scripts/infer/real-prompts.txt ("raw: TEXT" or "chat: TEXT", \n escapes), "PROMPT IDS<TAB>64 GREEDY IDS";
#  - $MILLER_REFS/infer-goldens/logits-K.{ids,bin}: all-position logits for a few prompts (large, not committed).
# The XCTests in Tests/InferTests/ModelLlamaGoldenTests.swift use them when the model file exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
refs="${MILLER_REFS:-${XDG_CACHE_HOME:-$HOME/.cache}/miller-refs}"
model="${1:-$refs/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q8_0.gguf}"
tool=$("$root/scripts/infer/build-llama-logits.sh")
out="$root/Tests/InferTests/Fixtures/model/qwen2.5-coder-0.5b-greedy.txt"
gold="$refs/infer-goldens"; mkdir -p "$gold"
: > "$out.partial"
k=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  kind=${line%%: *}; text=$(printf '%b' "${line#*: }")
  if [ "$kind" = chat ]; then
    text=$(printf '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n' "$text")
  fi
  ids=$("$tool" "$model" tokenize "$text")
  gen=$("$tool" "$model" greedy 64 $ids)
  printf '%s\t%s\n' "$ids" "$gen" >> "$out.partial"
  if [ $k -lt 4 ] || [ "$kind" = chat ] && [ $k -lt 14 ]; then
    # All-position logits of prompt + greedy continuation (the continuation makes sequences longer).
    echo "$ids $gen" > "$gold/logits-$k.ids"
    "$tool" "$model" logits "$gold/logits-$k.bin" $ids $gen
  fi
  k=$((k + 1))
done < "$root/scripts/infer/real-prompts.txt"
mv "$out.partial" "$out"
echo "wrote $out and $gold" >&2
