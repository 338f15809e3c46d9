#!/usr/bin/env python3
"""Compares two ascii raw files' transient plots: the second (ngspice's) time points, the first
interpolated there. Prints, per vector, the largest |difference| as a fraction of ngspice's swing.

    tran_compare.py miller.raw ngspice.raw [--tolerance 0.01] [--window SECONDS] [--vectors v(out),v(in)]
A point also passes when ngspice's value lies within what Miller spans over t ± window (edges that land
a little earlier or later).
Exits 1 when any vector's largest error exceeds the tolerance (fraction of swing)."""
import bisect, sys

def read(path):
    plots, lines = [], open(path, errors="replace").read().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("Plotname:"):
            name = lines[i].split(":", 1)[1].strip()
            nvars = npts = 0
            names = []
            while not lines[i].startswith("Values:"):
                if lines[i].startswith("No. Variables:"): nvars = int(lines[i].split(":")[1])
                if lines[i].startswith("No. Points:"): npts = int(lines[i].split(":")[1])
                if lines[i].startswith("Variables:"):
                    for k in range(nvars):
                        names.append(lines[i + 1 + k].split()[1].lower())
                i += 1
            i += 1
            data = [[] for _ in names]
            for p in range(npts):
                for k in range(nvars):
                    tok = lines[i].split()[-1]
                    data[k].append(float(tok.split(",")[0]))
                    i += 1
            plots.append((name, names, data))
        else:
            i += 1
    return plots

def canon(n):
    if n.startswith("v(") and n.endswith(")"): return n[2:-1]
    if n.startswith("i(") and n.endswith(")"): return n[2:-1] + "#branch"
    return n

def interp(t, y, x):
    if x <= t[0]: return y[0]
    if x >= t[-1]: return y[-1]
    k = bisect.bisect_right(t, x)
    t0, t1 = t[k - 1], t[k]
    return y[k - 1] if t1 == t0 else y[k - 1] + (y[k] - y[k - 1]) * (x - t0) / (t1 - t0)

def main():
    args = sys.argv[1:]
    tol, only, window = 0.01, None, 0.0
    if "--window" in args:
        k = args.index("--window"); window = float(args[k + 1]); del args[k:k + 2]
    if "--tolerance" in args:
        k = args.index("--tolerance"); tol = float(args[k + 1]); del args[k:k + 2]
    if "--vectors" in args:
        k = args.index("--vectors"); only = set(canon(v.lower()) for v in args[k + 1].split(",")); del args[k:k + 2]
    mine = [p for p in read(args[0]) if p[0].lower().startswith("transient")]
    ref = [p for p in read(args[1]) if p[0].lower().startswith("transient")]
    if not mine or not ref:
        print("no transient plot"); sys.exit(1)
    _, mn, md = mine[0]; _, rn, rd = ref[0]
    mt, rt = md[0], rd[0]
    by = {canon(n): d for n, d in zip(mn, md)}
    worst_all = 0.0
    print(f"points: miller {len(mt)}, ngspice {len(rt)}")
    for n, d in zip(rn[1:], rd[1:]):
        c = canon(n)
        if only is not None and c not in only: continue
        if c not in by:
            print(f"{n}: missing"); worst_all = float("inf"); continue
        swing = (max(d) - min(d)) or 1.0
        worst, at = 0.0, 0.0
        y = by[c]
        for t, e in zip(rt, d):
            err = abs(interp(mt, y, t) - e)
            if window > 0 and err > 0:
                lo = min(interp(mt, y, t - window), interp(mt, y, t + window)); hi = max(interp(mt, y, t - window), interp(mt, y, t + window))
                a, b = bisect.bisect_right(mt, t - window), bisect.bisect_left(mt, t + window)
                if b > a: lo = min(lo, min(y[a:b])); hi = max(hi, max(y[a:b]))
                err = min(err, max(0.0, lo - e, e - hi))
            err /= swing
            if err > worst: worst, at = err, t
        worst_all = max(worst_all, worst)
        print(f"{n:24s} swing {swing:10.4g}  largest error {worst:.2e} of swing at t={at:.4g}")
    sys.exit(0 if worst_all <= tol else 1)

main()
