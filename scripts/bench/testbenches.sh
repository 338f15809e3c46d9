#!/usr/bin/env bash
# Times the op-amp testbench set of issues 3 and 4, whole process, `miller sim DECK` against `ngspice -b DECK`:
# the six AICAS 2025 measurements (ac, sr, cmrr, psrr, noise, idc) on the level-1 op-amp (l1_*) and on the
# BSIM-lite op-amp with the p018 level=8 cards (b18_*), decks in Tests/SpiceTests/Goldens/opamp-tb/.
# Runs are interleaved (ngspice, miller, ngspice, miller, ...) so load changes hit both alike; each figure is
# the median of RUNS runs: CPU ms from `perf stat -e task-clock` (falls back to wall time without perf) and
# wall ms from the shell clock. Prints a markdown table, then the issues' targets:
#   issue 3: each level-1 testbench in at most ngspice's time;
#   issue 4: the six BSIM-lite testbenches together in under half of ngspice's time.
#
#   make build && scripts/bench/testbenches.sh           (the shipped static binary)
#   RUNS=9 ONLY=b18 scripts/bench/testbenches.sh
# Environment: MILLER (default .build-static/release/miller), NGSPICE (ngspice), RUNS (7), ONLY (deck-name
# filter). A deck Miller cannot run (exit status not 0) shows as "fail" with the reason below the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
MILLER=${MILLER:-$root/.build-static/release/miller}
NGSPICE=${NGSPICE:-ngspice}
RUNS=${RUNS:-7}
ONLY=${ONLY:-}
folder=$root/Tests/SpiceTests/Goldens/opamp-tb

[ -x "$MILLER" ] || { echo "error: $MILLER not built (make build)" >&2; exit 1; }
command -v "$NGSPICE" >/dev/null || { echo "error: ngspice not found" >&2; exit 1; }
case "$MILLER" in /*) ;; *) MILLER=$root/$MILLER ;; esac
use_perf=1
perf stat -x, -e task-clock true >/dev/null 2>&1 || use_perf=0

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK   # no ~/.spiceinit changes what ngspice does

# One run: prints "cpu_ms wall_ms status". ngspice -b exits 1 after a control block without `quit`, so only
# Miller's status counts.
one() {
    local start end status=0 cpu
    start=$(date +%s%N)
    if [ $use_perf = 1 ]; then
        perf stat -x, -o "$WORK/perf" -e task-clock "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    else
        "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    fi
    end=$(date +%s%N)
    local wall
    wall=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e6 }')
    if [ $use_perf = 1 ]; then cpu=$(grep task-clock "$WORK/perf" | cut -d, -f1); else cpu=$wall; fi
    echo "$cpu $wall $status"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cd "$folder"
decks=()
for set in l1 b18; do for m in ac sr cmrr psrr noise idc; do
    name=${set}_$m
    [ -z "$ONLY" ] || [[ $name == *$ONLY* ]] || continue
    decks+=("$name")
done; done

echo "op-amp testbenches, median of $RUNS interleaved runs, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "miller: $MILLER; ngspice: $($NGSPICE -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1); CPU = perf task-clock (use_perf=$use_perf)"
echo
echo "| deck | ngspice CPU ms | miller CPU ms | miller/ngspice | ngspice wall ms | miller wall ms |"
echo "|---|---|---|---|---|---|"
declare -A total_n total_m
notes=()
for name in "${decks[@]}"; do
    : > "$WORK/n"; : > "$WORK/m"; : > "$WORK/nw"; : > "$WORK/mw"
    failed=""
    for ((r = 0; r < RUNS; r++)); do
        read -r c w s < <(one "$NGSPICE" -b "$name.cir"); echo "$c" >> "$WORK/n"; echo "$w" >> "$WORK/nw"
        read -r c w s < <(one "$MILLER" sim "$name.cir")
        if [ "$s" != 0 ]; then failed="exit $s: $(tail -c 300 "$WORK/err" | tr '\n' ' ')"; break; fi
        echo "$c" >> "$WORK/m"; echo "$w" >> "$WORK/mw"
    done
    n=$(median < "$WORK/n"); nw=$(median < "$WORK/nw")
    set=${name%%_*}
    if [ -n "$failed" ]; then
        echo "| $name | $n | fail | — | $nw | fail |"
        notes+=("$name: miller $failed")
        total_m[$set]=fail
        continue
    fi
    m=$(median < "$WORK/m"); mw=$(median < "$WORK/mw")
    echo "| $name | $n | $m | $(awk -v a="$m" -v b="$n" 'BEGIN { printf "%.2f", a / b }') | $nw | $mw |"
    total_n[$set]=$(awk -v a="${total_n[$set]:-0}" -v b="$n" 'BEGIN { print a + b }')
    [ "${total_m[$set]:-0}" = fail ] || total_m[$set]=$(awk -v a="${total_m[$set]:-0}" -v b="$m" 'BEGIN { print a + b }')
done
echo
for set in l1 b18; do
    [ -n "${total_n[$set]:-}" ] || continue
    if [ "${total_m[$set]}" = fail ]; then echo "$set set: some decks fail in miller (see below)"; continue; fi
    echo "$set set total: ngspice ${total_n[$set]} ms, miller ${total_m[$set]} ms, ratio $(awk -v a="${total_m[$set]}" -v b="${total_n[$set]}" 'BEGIN { printf "%.2f", a / b }')"
done
echo "targets: issue 3, every l1 ratio <= 1.00; issue 4, b18 set total ratio < 0.50"
for note in "${notes[@]}"; do echo "$note"; done
