#!/usr/bin/env bash
# Wall time of `miller size` on a spec (expert policy, sky130 cards), median of N runs, next to the
# ngspice sign-off of the same netlist (six benches x five corners, foundry models).
# Usage: [SPEC=specs/aicas2025-structure2.toml] [MILLER=bin] scripts/bench/size.sh [runs=3]
# (SPEC defaults to the challenge spec, MILLER to .build/release/miller)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
bin=${MILLER:-.build/release/miller}
spec=${SPEC:-specs/aicas2025.toml}
out=$(mktemp -d)
times=()
for i in $(seq "$runs"); do
  s=$(date +%s.%N)
  "$bin" size --spec "$spec" --out "$out" > "$out/stdout.txt" 2> "$out/stderr.txt"
  e=$(date +%s.%N)
  times+=("$(echo "$e - $s" | bc)")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
fom=$(grep -o '^FoM [0-9.]*' "$out/stdout.txt" | head -1)
its=$(grep -o 'iterations [0-9]*' "$out/stdout.txt" | head -1)
s=$(date +%s.%N); scripts/signoff "$out/amp.spice" > "$out/signoff.txt" 2>/dev/null || true; e=$(date +%s.%N)
printf '| what | wall s | result |\n|---|---|---|\n'
printf '| miller size (median of %s) | %.2f | %s, %s |\n' "$runs" "$median" "$its" "$fom"
printf '| scripts/signoff (ngspice, 30 benches) | %.2f | %s |\n' "$(echo "$e - $s" | bc)" "$(grep -o '^FoM [0-9.]*' "$out/signoff.txt" | head -1)"
rm -rf "$out"
