#!/usr/bin/env bash
# Whole-process CPU time of `miller sim` against `ngspice -b` on the small golden op-amp decks, where
# start-up dominates, and prints a markdown table.
#
#   scripts/bench/startup.sh                 (builds nothing; run `make build` first)
#   ROUNDS=7 MILLER=.build/release/miller scripts/bench/startup.sh
#
# Each figure is the median over ROUNDS (5) of `perf stat -r 5 -e task-clock` (itself the mean of 5 runs),
# in ms of CPU; ngspice and Miller alternate inside each round so machine load hits both alike.
# Environment: MILLER (default .build-static/release/miller, what `make build` ships), NGSPICE (ngspice),
# ROUNDS (5).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
MILLER=${MILLER:-$root/.build-static/release/miller}
NGSPICE=${NGSPICE:-ngspice}
ROUNDS=${ROUNDS:-5}

command -v perf >/dev/null || { echo "error: perf missing (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$MILLER" ] || { echo "error: $MILLER not built (make build)" >&2; exit 1; }
command -v "$NGSPICE" >/dev/null || { echo "error: ngspice not found" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work   # no ~/.spiceinit changes what ngspice does

# Mean task-clock (ms) of 5 runs of the command.
cpu() { perf stat -r 5 -x, -e task-clock "$@" 2>&1 >/dev/null | grep task-clock | cut -d, -f1; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

goldens=$root/Tests/SpiceTests/Goldens
cd "$goldens"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of perf stat -r 5 task-clock, median, ms CPU"
echo
echo "| deck | ngspice 39 \`-b\` | Miller \`sim\` | Miller / ngspice |"
echo "|---|---|---|---|"
for deck in opamp_op opamp_ac opamp_dc; do
    : > "$work/n"; : > "$work/m"
    for _ in $(seq "$ROUNDS"); do
        cpu "$NGSPICE" -b "$deck.cir" >> "$work/n"
        cpu "$MILLER" sim "$deck.cir" >> "$work/m"
    done
    n=$(median < "$work/n"); m=$(median < "$work/m")
    echo "| $deck | $n | $m | $(awk -v m="$m" -v n="$n" 'BEGIN { printf "%.2f", m / n }') |"
done
: > "$work/m"
for _ in $(seq "$ROUNDS"); do cpu "$MILLER" --help >> "$work/m"; done
echo "| \`miller --help\` (start-up alone) | — | $(median < "$work/m") | — |"
