#!/usr/bin/env bash
# Transient benchmark, whole process, Miller (`miller sim`) against `ngspice -b`, interleaved, median of
# RUNS runs each (default 3), on two generated decks:
#   ring101  101-stage level-1 CMOS ring oscillator, started from alternating .ic values with UIC,
#            `.tran 0.1n 5.2u uic` (200 periods of about 25.8 ns);
#   ladder   RC ladder of 10 000 sections (10 Ω, 1 fF) driven by a pulse, `.tran 1n 2u`.
# Every run writes a raw file (`-r`; without one `ngspice -b` simulates nothing), binary while timed.
# Before timing, both simulators run each deck once with `.options acct` (their step and iteration
# counts are printed) and the waveforms are checked: the ladder's saved nodes within 1e-3 of their swing
# (edges within 1 ns), the ring's oscillation period within 2 % (at the default reltol=1e-3 each
# simulator's phase drifts by its own truncation error, so the period is what "the same waveform" can
# mean there; both agree to 0.1 % at reltol=1e-4).
#
#   scripts/bench/tran.sh            build (release), check, time, print a table
#   RUNS=5 scripts/bench/tran.sh
#   MILLER=/path/to/miller scripts/bench/tran.sh    time that binary instead (no build; before/after runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-3}
if [ -n "${MILLER:-}" ]; then miller=$(realpath "$MILLER")
else swift build -c release --product miller >/dev/null; miller=$PWD/.build/release/miller; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work

python3 - "$work" <<'EOF'
import sys
work = sys.argv[1]
N = 101
ring = ["101-stage level-1 cmos ring oscillator, uic from alternating initial conditions", "vdd vdd 0 3.3",
        ".subckt inv in out vdd",
        "mp out in vdd vdd pch w=4u l=1u ad=8p as=8p pd=10u ps=10u",
        "mn out in 0 0 nch w=2u l=1u ad=4p as=4p pd=6u ps=6u", ".ends"]
ring += [f"x{k + 1} n{k + 1} n{(k + 1) % N + 1} vdd inv" for k in range(N)]
ring += [".model nch nmos level=1 vto=0.7 kp=110u gamma=0.4 lambda=0.04 phi=0.7 tox=20n cgso=0.3n cgdo=0.3n cgbo=0.1n cj=0.4m mj=0.5 cjsw=0.3n mjsw=0.33 pb=0.8",
         ".model pch pmos level=1 vto=-0.7 kp=40u gamma=0.5 lambda=0.05 phi=0.7 tox=20n cgso=0.3n cgdo=0.3n cgbo=0.1n cj=0.5m mj=0.5 cjsw=0.35n mjsw=0.33 pb=0.8",
         ".ic " + " ".join(f"v(n{k + 1})={'0' if k % 2 == 0 else '3.3'}" for k in range(N)),
         ".save v(n1) v(n51)", ".tran 0.1n 5.2u uic", ".end"]
open(f"{work}/ring101.cir", "w").write("\n".join(ring) + "\n")
M = 10000
ladder = ["rc ladder of 10000 sections driven by a pulse", "v1 n0 0 pulse(0 1 10n 10n 10n 1u 2u)"]
for k in range(M):
    ladder += [f"r{k + 1} n{k} n{k + 1} 10", f"c{k + 1} n{k + 1} 0 1f"]
ladder += [".save v(n1) v(n100) v(n1000) v(n5000) v(n10000)", ".tran 1n 2u", ".end"]
open(f"{work}/ladder.cir", "w").write("\n".join(ladder) + "\n")
EOF

compare=$PWD/scripts/bench/tran_compare.py
period() { # raw vector -> mean period of rising crossings of 1.65 V after the first 10
python3 - "$1" "$2" "$compare" <<'EOF'
import sys
exec(open(sys.argv[3]).read().split("def main")[0])
p = [x for x in read(sys.argv[1]) if x[0].lower().startswith("transient")][0]
t = p[2][0]; v = p[2][[canon(n) for n in p[1]].index(canon(sys.argv[2]))]
c = [t[k] for k in range(1, len(t)) if v[k - 1] < 1.65 <= v[k]]
print((c[-1] - c[10]) / (len(c) - 11))
EOF
}

cd "$work"
echo "checking waveforms..."
for deck in ring101 ladder; do
    sed 's/^\.tran/.options acct\n.tran/' $deck.cir > acct_$deck.cir
    "$miller" sim acct_$deck.cir -r m_$deck.raw > m_$deck.log
    SPICE_ASCIIRAWFILE=1 ngspice -b -r n_$deck.raw acct_$deck.cir > n_$deck.log 2>&1
    for side in m n; do
        name=$([ $side = m ] && echo miller || echo ngspice)
        printf '%-8s %-8s %s\n' $deck $name "$(grep -E '^(Transient iterations|Accepted timepoints|Rejected timepoints) =' ${side}_$deck.log \
            | sed 's/ timepoints//; s/Transient //' | tr '\n' ' ')"
    done
done
python3 "$compare" m_ladder.raw n_ladder.raw --tolerance 1e-3 --window 1e-9 || { echo "error: ladder waveforms differ" >&2; exit 1; }
pm=$(period m_ring101.raw "v(n1)"); pn=$(period n_ring101.raw "v(n1)")
python3 -c "import sys; pm, pn = $pm, $pn; d = abs(pm - pn) / pn; print(f'ring101 period: miller {pm * 1e9:.3f} ns, ngspice {pn * 1e9:.3f} ns, difference {d * 100:.2f} %'); sys.exit(0 if d < 0.02 else 1)" \
    || { echo "error: ring periods differ" >&2; exit 1; }

# One run: appends "wall cpu" (seconds, cpu = user + system) to the file named first.
timed() { local out=$1; shift; /usr/bin/time -f '%e %U %S' -o t.one "$@" >/dev/null 2>&1 || { echo "error: $* failed" >&2; exit 1; }
    awk '{printf "%s %.3f\n", $1, $2 + $3}' t.one >> "$out"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf '\n%-8s %12s %12s %7s %12s %12s %7s\n' deck "miller cpu" "ngspice cpu" ratio "miller wall" "ngspice wall" ratio
for deck in ring101 ladder; do
    : > m.times; : > n.times
    for ((k = 0; k < runs; k++)); do
        timed m.times "$miller" sim $deck.cir -r m_$deck.raw --binary
        timed n.times ngspice -b -r n_$deck.raw $deck.cir
    done
    mw=$(cut -d' ' -f1 m.times | median); mc=$(cut -d' ' -f2 m.times | median)
    nw=$(cut -d' ' -f1 n.times | median); nc=$(cut -d' ' -f2 n.times | median)
    printf '%-8s %12.2f %12.2f %7.2f %12.2f %12.2f %7.2f\n' $deck "$mc" "$nc" "$(echo "$mc / $nc" | bc -l)" \
        "$mw" "$nw" "$(echo "$mw / $nw" | bc -l)"
done
echo "(whole process, raw file written on both sides, median of $runs interleaved runs; ratio < 1 means Miller is faster; load: $(cut -d' ' -f1-3 /proc/loadavg))"
