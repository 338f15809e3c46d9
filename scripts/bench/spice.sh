#!/usr/bin/env bash
# Times whole-process `miller sim` against `ngspice -b` on the golden op-amp decks and on RC meshes of
# 10 000 and about 100 000 nodes (.op, and .ac dec with 100 points), and prints a markdown table:
# median wall time of RUNS runs each, and peak resident memory (from /usr/bin/time -v).
#
#   scripts/bench/spice.sh                     everything (slow: ngspice needs minutes on the meshes)
#   RUNS=7 TIMEOUT=900 scripts/bench/spice.sh
#   ONLY=opamp scripts/bench/spice.sh          only decks whose label contains "opamp"
#
# Both simulators write every analysis to a binary raw file (`-r`), so both do the same work: ngspice -b
# does not run analyses at all without somewhere to put the results. A run longer than TIMEOUT seconds
# is killed and shown as "> TIMEOUT s"; when a first run already takes longer than SLOW seconds the pair
# gets that one run only (marked "1 run") so the script finishes in useful time.
# Environment: MILLER (default .build/release/miller), NGSPICE (default ngspice), RUNS (5), TIMEOUT (600),
# SLOW (120), ONLY (label filter), WORK (scratch folder, default a fresh temp dir).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

MILLER=${MILLER:-$root/.build/release/miller}
NGSPICE=${NGSPICE:-ngspice}
RUNS=${RUNS:-5}
TIMEOUT=${TIMEOUT:-600}
SLOW=${SLOW:-120}
ONLY=${ONLY:-}

[ -x /usr/bin/time ] || { echo "error: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
[ -x "$MILLER" ] || { echo "error: $MILLER not built (swift build -c release --product miller)" >&2; exit 1; }
command -v "$NGSPICE" >/dev/null || { echo "error: ngspice not found" >&2; exit 1; }

WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
export HOME=$WORK   # no ~/.spiceinit changes what ngspice does

# label|deck path|nodes (for the table)
decks=(
    "opamp op (golden)|$root/Tests/SpiceTests/Goldens/opamp_op.cir|11"
    "opamp dc 162 pts (golden)|$root/Tests/SpiceTests/Goldens/opamp_dc.cir|9"
    "opamp ac 801 pts (golden)|$root/Tests/SpiceTests/Goldens/opamp_ac.cir|9"
    "opamp example op+ac|$root/examples/opamp-level1.cir|10"
)
for spec in "100 10000" "316 99856"; do
    set -- $spec
    for analysis in op ac; do
        deck=$WORK/mesh$1-$analysis.cir
        python3 "$root/scripts/bench/rcmesh.py" "$1" "$analysis" > "$deck"
        decks+=("rc mesh $1x$1 $analysis|$deck|$2")
    done
done

# Prints "seconds kilobytes" for one run, "timeout" or "fail".
one_run() {
    local out=$WORK/time.txt log=$WORK/run.log status=0 start end
    start=$(date +%s%N)
    timeout "$TIMEOUT" /usr/bin/time -v -o "$out" "$@" >"$log" 2>&1 || status=$?
    end=$(date +%s%N)
    if [ $status -eq 124 ] || [ $status -eq 137 ]; then echo timeout; return; fi
    if [ $status -ne 0 ]; then echo "fail: exit $status, $(tail -c 300 "$log" | tr '\n' ' ')" >&2; echo fail; return; fi
    # Wall time from the shell clock (ms resolution; time -v rounds to 10 ms), peak RSS from time -v.
    awk -F': ' -v ns=$((end - start)) '
        /Maximum resident set size/ { kb = $2 }
        END { printf "%.3f %d\n", ns / 1e9, kb }' "$out"
}

# Runs a command RUNS times; prints "median_seconds max_rss_mb note".
measure() {
    local times=() rss=0 note="" result
    for ((r = 0; r < RUNS; r++)); do
        result=$(one_run "$@")
        case $result in
            timeout) echo "timeout 0 > ${TIMEOUT} s"; return ;;
            fail) echo "fail 0 failed"; return ;;
        esac
        times+=("${result% *}")
        local kb=${result#* }
        [ "$kb" -gt "$rss" ] && rss=$kb
        if [ $r -eq 0 ] && awk -v t="${result% *}" -v s="$SLOW" 'BEGIN { exit !(t > s) }'; then
            note="1 run"; break
        fi
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    echo "$median $((rss / 1024)) ${note:-${#times[@]} runs}"
}

echo "| deck | nodes | miller s | ngspice s | speed-up | miller peak MB | ngspice peak MB | runs |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for spec in "${decks[@]}"; do
    IFS='|' read -r label deck nodes <<<"$spec"
    [ -n "$ONLY" ] && [[ $label != *$ONLY* ]] && continue
    m=$(measure "$MILLER" sim "$deck" -r "$WORK/miller.raw" --binary)
    n=$(measure "$NGSPICE" -b -r "$WORK/ngspice.raw" "$deck")
    read -r mt mr mnote <<<"$m"
    read -r nt nr nnote <<<"$n"
    speedup=$(awk -v a="$mt" -v b="$nt" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1fx", b / a; else print "-" }')
    [[ $mt == timeout ]] && mt="> $TIMEOUT"
    [[ $nt == timeout ]] && nt="> $TIMEOUT"
    echo "| $label | $nodes | $mt | $nt | $speedup | $mr | $nr | miller ${mnote}; ngspice ${nnote} |"
done
echo
echo "Median wall time of whole processes (parse + simulate + write a binary raw file); peak RSS from /usr/bin/time -v."
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$NGSPICE" -v 2>&1 | grep -o 'ngspice-[0-9]*' | head -1)."
