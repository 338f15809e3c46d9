#!/usr/bin/env bash
# Prompt processing (pp) and generation (tg) tokens/s of `miller bench` against `llama-bench` on the
# same GGUF file and thread count, run side by side: the two tools alternate RUNS times (one
# repetition each time), so both see the same machine load, and the table gives the median of the
# runs with their spread, peak RSS (/usr/bin/time) and the load average before and after.
# Then one `miller bench --prefix-reuse` run times an agent-style second call sharing a long prefix.
#
#   scripts/bench/infer.sh                       defaults: pp128, tg64, 2 threads, 5 runs
#   RUNS=9 THREADS=2 PP=128 TG=64 scripts/bench/infer.sh
#
# Environment: MODEL (default: the Q8_0 Qwen2.5-Coder-0.5B of shared/tools/get-reference-model.sh),
# MILLER (default .build/release/miller), LLAMA_BENCH (default: the llama.cpp build of
# shared/tools/build-llama-cpp.sh), RUNS (5), THREADS (2), PP (128), TG (64), PREFIX (500), SUFFIX (50).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
refs="${MILLER_REFS:-${XDG_CACHE_HOME:-$HOME/.cache}/miller-refs}"
MODEL=${MODEL:-$refs/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q8_0.gguf}
MILLER=${MILLER:-$root/.build/release/miller}
LLAMA_BENCH=${LLAMA_BENCH:-$refs/llama-cpp-0.3.36/src/vendor/llama.cpp/build/bin/llama-bench}
RUNS=${RUNS:-5}; THREADS=${THREADS:-2}; PP=${PP:-128}; TG=${TG:-64}
PREFIX=${PREFIX:-500}; SUFFIX=${SUFFIX:-50}

[ -x /usr/bin/time ] || { echo "error: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$MILLER" ] || { echo "error: $MILLER not built (swift build -c release --product miller)" >&2; exit 1; }
[ -x "$LLAMA_BENCH" ] || { echo "error: llama-bench not found at $LLAMA_BENCH (shared/tools/build-llama-cpp.sh)" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "error: model $MODEL not found (shared/tools/get-reference-model.sh)" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }
load_before=$(load)
echo "model $(basename "$MODEL"), $THREADS threads, pp$PP tg$TG, $RUNS alternating runs; load average $load_before" >&2

for i in $(seq "$RUNS"); do
    # Miller: one repetition of pp and tg; stdout is a markdown table "| model | threads | test | t/s |".
    /usr/bin/time -f '%M' -o "$work/m.rss" "$MILLER" bench -m "$MODEL" -p "$PP" -n "$TG" -t "$THREADS" -r 1 \
        > "$work/m.out" 2> "$work/m.err"
    awk -F'|' -v pp="pp$PP" -v tg="tg$TG" '
        { gsub(/ /, "", $4); split($5, v, "±"); gsub(/ /, "", v[1]) }
        $4 == pp { print "miller pp", v[1] } $4 == tg { print "miller tg", v[1] }' "$work/m.out" >> "$work/rows"
    echo "miller rss $(cat "$work/m.rss")" >> "$work/rows"
    sed -n 's/.* in \([0-9.]*\) s .*/miller load \1/p' "$work/m.err" >> "$work/rows"
    # llama.cpp: the same tests, CSV output (avg_ts is the one repetition's t/s).
    /usr/bin/time -f '%M' -o "$work/l.rss" "$LLAMA_BENCH" -m "$MODEL" -p "$PP" -n "$TG" -t "$THREADS" -r 1 -o csv \
        > "$work/l.out" 2> "$work/l.err"
    python3 - "$work/l.out" >> "$work/rows" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    kind = "pp" if int(r["n_prompt"]) > 0 else "tg"
    print("llama", kind, r["avg_ts"])
PY
    echo "llama rss $(cat "$work/l.rss")" >> "$work/rows"
    echo "run $i/$RUNS done (load $(load))" >&2
done
load_after=$(load)

"$MILLER" bench -m "$MODEL" -p 0 -n 0 -t "$THREADS" -r 1 --prefix-reuse "$PREFIX" --suffix "$SUFFIX" \
    > "$work/p.out" 2>/dev/null || true

python3 - "$work/rows" "$PP" "$TG" "$load_before" "$load_after" "$work/p.out" <<'PY'
import statistics, sys
rows, pp, tg, lb, la, pfile = sys.argv[1:]
vals = {}
for line in open(rows):
    tool, kind, v = line.split()
    vals.setdefault((tool, kind), []).append(float(v))
def cell(tool, kind, fmt="%.2f"):
    v = vals.get((tool, kind), [])
    if not v: return "—"
    return (fmt % statistics.median(v)) + " (" + (fmt % min(v)) + "–" + (fmt % max(v)) + ")"
print(f"load average {lb} before, {la} after; median (min–max) of {len(vals.get(('miller','pp'), []))} alternating runs")
print()
print("| test | Miller | llama.cpp |")
print("|---|---:|---:|")
print(f"| pp{pp} t/s | {cell('miller','pp')} | {cell('llama','pp')} |")
print(f"| tg{tg} t/s | {cell('miller','tg')} | {cell('llama','tg')} |")
mr = [v / 1024 for v in vals.get(("miller", "rss"), [])]; lr = [v / 1024 for v in vals.get(("llama", "rss"), [])]
if mr and lr:
    print(f"| peak RSS MiB | {max(mr):.0f} | {max(lr):.0f} |")
if vals.get(("miller", "load")):
    print(f"| model load s | {cell('miller','load','%.3f')} | — |")
for line in open(pfile):
    if line.startswith("prefix reuse"):
        print(f"| {line.strip()} | | |")
PY
