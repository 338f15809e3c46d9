#!/usr/bin/env bash
# Times whole-process `miller sim` against `ngspice -b` on the noise analysis of the two op-amp noise
# goldens (the aicas 2025 bench, `noise v(out) vinp dec 100 1 1meg`: 601 frequencies) and of a 2 000-section
# RC ladder, interleaved, and prints a markdown table of the median wall time of RUNS runs each.
#
#   scripts/bench/noise.sh
#   RUNS=9 scripts/bench/noise.sh
#
# Both write every plot to a binary raw file (`-r`), so both do the same work.
# Environment: MILLER (default .build/release/miller), NGSPICE (default ngspice), RUNS (7).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
MILLER=${MILLER:-$root/.build/release/miller}
NGSPICE=${NGSPICE:-ngspice}
RUNS=${RUNS:-7}
[ -x "$MILLER" ] || { echo "error: $MILLER not built (swift build -c release --product miller)" >&2; exit 1; }
command -v "$NGSPICE" >/dev/null || { echo "error: ngspice not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work
unset SPICE_ASCIIRAWFILE

goldens=$root/Tests/SpiceTests/Goldens/noise
ladder=$work/ladder.cir
{
    echo "rc ladder noise"; echo "v1 n0 0 dc 0 ac 1"
    for k in $(seq 0 1999); do echo "r$k n$k n$((k + 1)) 10"; echo "c$k n$((k + 1)) 0 1p"; done
    echo "rl n2000 0 1meg"; echo ".noise v(n2000) v1 dec 20 1k 10g"; echo ".end"
} > "$ladder"
decks=("level-1 op-amp follower (601 pts)|$goldens/opamp_follower.cir"
       "BSIM-lite op-amp follower (601 pts)|$goldens/bsim_opamp_follower.cir"
       "RC ladder 2000 sections (141 pts)|$ladder")

seconds() { # command...: wall seconds of one run
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "error: $* failed" >&2; exit 1; }
    end=$(date +%s%N)
    echo "scale=4; ($end - $start) / 1000000000" | bc
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| deck | miller s | ngspice s | ngspice / miller |"
echo "|---|---|---|---|"
for spec in "${decks[@]}"; do
    label=${spec%%|*}; deck=${spec#*|}
    dir=$(dirname "$deck"); base=$(basename "$deck")
    : > "$work/m"; : > "$work/n"
    for _ in $(seq "$RUNS"); do
        (cd "$dir" && seconds "$MILLER" sim "$base" -r "$work/m.raw" --binary) >> "$work/m"
        (cd "$dir" && seconds "$NGSPICE" -b -r "$work/n.raw" "$base") >> "$work/n"
    done
    rm -f "$dir/b3v33check.log"
    m=$(median < "$work/m"); n=$(median < "$work/n")
    printf '| %s | %.3f | %.3f | %.2f |\n' "$label" "$m" "$n" "$(echo "scale=4; $n / $m" | bc)"
done
