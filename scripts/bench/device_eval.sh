#!/usr/bin/env bash
# Device evaluations per second for one BSIM-lite instance (DC load with exact Jacobian), issue 4:
# Miller's `miller pdk bench` (BSIMLiteEvaluator.current in a loop) against ngspice 39's BSIM3 (level 8)
# load on the same card, measured interleaved, median of RUNS runs each. ngspice's figure is its
# Newton iteration count over its "Matrix load time" (`.options acct`) for a fine one-instance DC sweep,
# i.e. device loads per second of load time (it includes two trivial source loads per iteration).
# Usage: scripts/bench/device_eval.sh [RUNS]   (needs .build/release/miller: swift build -c release --product miller)
set -euo pipefail
RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MILLER=${MILLER:-$ROOT/.build/release/miller}
[ -x "$MILLER" ] || { echo "build first: swift build -c release --product miller" >&2; exit 1; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cat > "$TMP/dev.cir" <<'DECK'
one BSIM3 level-8 instance, Vgs sweep at Vds = 0.9 V
.options acct
vd d 0 0.9
vg g 0 0
m1 d g 0 0 nch w=2u l=0.5u
.model nch nmos level=8 version=3.3.0 mobmod=1 capmod=2 noimod=1 tox=7.6e-9 nch=1.7e17 vth0=0.55
+ k1=0.6 k2=-0.02 k3=30 dvt0=2.5 dvt1=0.55 u0=420 ua=2.2e-9 ub=5.8e-19 vsat=1.5e5 a0=1.1 ags=0.2
+ keta=-0.03 rdsw=700 prwg=0.05 wint=5e-8 lint=4e-8 voff=-0.09 nfactor=1.2 eta0=0.05 etab=-0.05
+ pclm=1.4 pdiblc1=0.3 pdiblc2=0.008 pvag=0.2
.dc vg 0 1.8 1e-5
.end
DECK
printf 'set num_threads=1\n' > "$TMP/.spiceinit"
ours=(); theirs=()
for i in $(seq "$RUNS"); do
  o=$("$MILLER" pdk bench "$TMP/dev.cir" --points 1000000 --runs 1 | sed -E 's/.*: ([0-9.e+]+) evaluations.*/\1/')
  ours+=("$o")
  acct=$(cd "$TMP" && ngspice -b dev.cir -r /dev/null 2>&1)
  it=$(echo "$acct" | awk -F= '/Total iterations/ {print $2+0}')
  lt=$(echo "$acct" | awk -F= '/Matrix load time/ {print $2+0}')
  theirs+=("$(python3 -c "print($it/max($lt,1e-9))")")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(med "${ours[@]}"); mt=$(med "${theirs[@]}")
echo "| one BSIM3 (level 8) instance, DC load + Jacobian | Miller (evaluations/s) | ngspice 39 (loads/s of load time) | ratio |"
echo "|---|---|---|---|"
python3 -c "print('| median of $RUNS, load %s | %.3g | %.3g | %.2f |' % ('$(cut -d' ' -f1 /proc/loadavg)', $mo, $mt, $mo/$mt))"
