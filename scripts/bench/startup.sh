#!/usr/bin/env bash
# Whole-process CPU time of `miller sim` against `ngspice -b` on the small golden op-amp decks, where
# start-up dominates, and prints a markdown table.
#
#   scripts/bench/startup.sh                 (builds nothing; run `make build` first)
#   ROUNDS=7 MILLER=.build/release/miller scripts/bench/startup.sh
#
# Each figure is the median over ROUNDS (5) of `perf stat -r 5 -e task-clock` (itself the mean of 5 runs),
# in ms of CPU; ngspice and Miller alternate inside each round so machine load hits both alike.
# Two tables: plain `DECK` (the loop BENCHMARKS.md has always used; note that `ngspice -b` without an
# output file runs the .op but skips .ac, and simulates nothing on a deck without .op such as opamp_dc:
# "no simulations run"), and with a binary
# raw file for both (`ngspice -b -r F`, `miller sim --binary -r F`), where both do every analysis.
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
cpu() { { perf stat -r 5 -x, -e task-clock "$@" 2>&1 >/dev/null || true; } | grep task-clock | cut -d, -f1; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

goldens=$root/Tests/SpiceTests/Goldens
cd "$goldens"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds of perf stat -r 5 task-clock, median, ms CPU"
echo
table() {  # $1: "" or "raw"
    echo "| deck | ngspice 39 \`-b\`${1:+ -r} | Miller \`sim\`${1:+ --binary -r} | Miller / ngspice |"
    echo "|---|---|---|---|"
    for deck in opamp_op opamp_ac opamp_dc; do
        : > "$work/n"; : > "$work/m"
        for _ in $(seq "$ROUNDS"); do
            if [ -n "$1" ]; then
                cpu "$NGSPICE" -b -r "$work/n.raw" "$deck.cir" >> "$work/n"
                cpu "$MILLER" sim --binary -r "$work/m.raw" "$deck.cir" >> "$work/m"
            else
                cpu "$NGSPICE" -b "$deck.cir" >> "$work/n"
                cpu "$MILLER" sim "$deck.cir" >> "$work/m"
            fi
        done
        n=$(median < "$work/n"); m=$(median < "$work/m")
        echo "| $deck | $n | $m | $(awk -v m="$m" -v n="$n" 'BEGIN { printf "%.2f", m / n }') |"
    done
}
table ""
: > "$work/m"
for _ in $(seq "$ROUNDS"); do cpu "$MILLER" --help >> "$work/m"; done
echo "| \`miller --help\` (start-up alone) | — | $(median < "$work/m") | — |"
echo
table raw
# Load-independent context: binary size and page faults of one run per deck.
faults() { { perf stat -x, -e page-faults "$@" 2>&1 >/dev/null || true; } | grep page-faults | cut -d, -f1; }
echo
echo "Miller binary: $(( $(stat -c %s "$MILLER") / 1000000 )) MB; page faults (ngspice / Miller):" \
    "opamp_op $(faults "$NGSPICE" -b opamp_op.cir) / $(faults "$MILLER" sim opamp_op.cir)," \
    "opamp_ac -r $(faults "$NGSPICE" -b -r "$work/n.raw" opamp_ac.cir) / $(faults "$MILLER" sim --binary -r "$work/m.raw" opamp_ac.cir)"
