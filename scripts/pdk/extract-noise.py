#!/usr/bin/env python3
"""Extract the sky130 nfet_01v8/pfet_01v8 drain-current noise dataset from ngspice on the foundry models.

The noise part of pipeline step 1 (issue 5): writes pdk/sky130/data/<device>-<corner>-noise.f32
(little-endian float32, row-major, NOISE_COLUMNS below) and adds a "noise" entry plus the files to
pdk/sky130/data/manifest.json. Format: pdk/sky130/data/README.md.

How a drain-current PSD comes out of ngspice: every geometry is its own X instance with a 0 V source in
series with its drain; a chain of 1-ohm CCVSs (`H`) sums those currents into one output node, and
`noise v(out) vg dec 1 10 1Meg 1` (points per summary = 1) makes ngspice write each device's and each
generator's contribution (`onoise.m.xm<i>.msky130_fd_pr__<dev>[.1overf|.id|.rd|...]`). Gate, source,
drain and bulk sit on ideal sources, so a contribution is the short-circuit drain-current noise in A/sqrt(Hz)
(V/sqrt(Hz) through 1 ohm); the devices do not couple.

Usage:
  scripts/pdk/extract-noise.py                     # all corners, both devices (~3 min of ngspice)
  scripts/pdk/extract-noise.py --corners tt --small
  scripts/pdk/extract-noise.py --check             # re-extract 2 geometries (tt) and compare to the committed data

Needs: python3, numpy, ngspice 39, /work/shared/tools/fetch-sky130.sh. Every ngspice call is wrapped in
`flock /tmp/ngspice.lock` so that concurrent extractions queue.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract  # noqa: E402  (the DC extraction: cut-down library, model fetch, paths)

DATA = extract.DATA
CORNERS = extract.CORNERS
DEVICES = extract.DEVICES

# Op-amp geometries (L 0.5..8, W 1.5..100) plus the small ones (they cost little).
L_GRID = extract.L_GRID
W_GRID = extract.W_GRID
L_SMALL = [0.5, 8.0]
W_SMALL = [1.5, 20.0]

TEMP = 27.0
VDS = (0.9, 0.3)                                       # |Vds|: mid-rail saturation, and a low one
VGS = [round(0.2 + 0.1 * k, 3) for k in range(17)]     # |Vgs| 0.2..1.8: weak to strong inversion
FREQS = [10.0, 100.0, 1e3, 1e4, 1e5, 1e6]              # `dec 1 10 1Meg`

NOISE_COLUMNS = (["temp", "w", "l", "vgs", "vds", "vbs", "id", "gm", "gds", "gmbs", "sid_thermal", "sid_parasitic"]
                 + [f"sid_flicker_{f:g}" for f in FREQS] + [f"sid_total_{f:g}" for f in FREQS])
QUANTITIES = ["id", "gm", "gds", "gmbs"]


def geometries(small):
    ls, ws = (L_SMALL, W_SMALL) if small else (L_GRID, W_GRID)
    return [(w, l) for l in ls for w in ws]


def deck(lib, corner, device, geoms, prefix):
    s = 1.0 if device.startswith("n") else -1.0
    lines = [f"sky130 {device} {corner} noise extraction", f'.lib "{lib}" {corner}', f".temp {TEMP:g}",
             "vd d 0 dc 0", "vg g 0 dc 0 ac 1", "vb b 0 0"]
    for i, (w, l) in enumerate(geoms):
        a, p = w * 0.29, 2 * (w + 0.29)
        lines.append(f"vsd{i} d d{i} 0")
        lines.append(f"xm{i} d{i} g 0 b sky130_fd_pr__{device} w={w:g} l={l:g} nf=1 "
                     f"ad={a:.6g} as={a:.6g} pd={p:.6g} ps={p:.6g}")
        # out = sum of the drain currents, 1 V per A.
        lines.append(f"h{i} o{i + 1} o{i} vsd{i} 1")
    lines.append("vo0 o0 0 0")
    lines += [".control", "set wr_singlescale", "set wr_vecnames"]
    out = f"o{len(geoms)}"
    # The noise runs first: a `save` list would also restrict the noise plots to the saved vectors.
    for j, vds in enumerate(VDS):
        lines.append(f"alter vd dc={s * vds:g}")
        for k, vgs in enumerate(VGS):
            # Each noise run makes two plots: the spectrum (noise<2n+1>) and the integrated noise.
            n = 2 * (j * len(VGS) + k) + 1
            lines.append(f"alter vg dc={s * vgs:g}")
            lines.append(f"noise v({out}) vg dec 1 10 1Meg 1")
            lines.append(f"setplot noise{n}")
            lines.append(f"wrdata {prefix}n{j}_{k}.txt all")
    lines.append("save " + " ".join(f"@m.xm{i}.msky130_fd_pr__{device}[{q}]"
                                    for i in range(len(geoms)) for q in QUANTITIES))
    for j, vds in enumerate(VDS):
        lines.append(f"alter vd dc={s * vds:g}")
        lines.append(f"dc vg {s * VGS[0]:g} {s * VGS[-1]:g} {s * 0.1:g}")
        lines.append(f"wrdata {prefix}dc{j}.txt all")
    lines += [".endc", ".end", ""]
    return "\n".join(lines)


def run_one(lib, corner, device, geoms, work):
    """One ngspice process for a corner/device; returns rows [n, len(NOISE_COLUMNS)] (float64) and seconds."""
    s = 1.0 if device.startswith("n") else -1.0
    prefix = os.path.join(work, f"{device}-{corner}-")
    path = os.path.join(work, f"{device}-{corner}-noise.sp")
    with open(path, "w") as f:
        f.write(deck(lib, corner, device, geoms, prefix))
    for name in os.listdir(work):
        if name.startswith(f"{device}-{corner}-") and name.endswith(".txt"):
            os.remove(os.path.join(work, name))
    t0 = time.time()
    r = subprocess.run(["flock", "/tmp/ngspice.lock", "nice", "-n", "10", "ngspice", "-b", path],
                       cwd=work, capture_output=True, text=True)
    dt = time.time() - t0
    log = r.stdout + r.stderr
    expect = [f"{prefix}dc{j}.txt" for j in range(len(VDS))] + [
        f"{prefix}n{j}_{k}.txt" for j in range(len(VDS)) for k in range(len(VGS))]
    missing = [p for p in expect if not os.path.isfile(p)]
    if missing or r.returncode not in (0, 1):
        sys.exit(f"extract-noise.py: ngspice failed on {path} (rc {r.returncode}, {len(missing)} files missing):\n"
                 f"{log[-3000:]}")
    notes = [ln.strip() for ln in log.splitlines() if re.search(r"warning|error|singular|abort", ln, re.I)]
    rows = {}
    for j, vds in enumerate(VDS):
        names, vals = extract.read_wrdata(f"{prefix}dc{j}.txt")
        col = {n: c for c, n in enumerate(names)}
        if len(vals) != len(VGS):
            sys.exit(f"extract-noise.py: {prefix}dc{j}.txt has {len(vals)} points, expected {len(VGS)}")
        for k, vgs in enumerate(VGS):
            for i, (w, l) in enumerate(geoms):
                r0 = [TEMP, w, l, s * vgs, s * vds, 0.0]
                r0 += [vals[k, col[f"@m.xm{i}.msky130_fd_pr__{device}[{q}]"]] for q in QUANTITIES]
                rows[(i, j, k)] = r0
        for k in range(len(VGS)):
            names, vals = extract.read_wrdata(f"{prefix}n{j}_{k}.txt")
            col = {}
            for c, n in enumerate(names):
                col.setdefault(n, c)
            freq = vals[:, col["frequency"]]
            if len(freq) != len(FREQS) or np.max(np.abs(freq / np.array(FREQS) - 1)) > 1e-9:
                sys.exit(f"extract-noise.py: {prefix}n{j}_{k}.txt frequencies {freq}, expected {FREQS}")
            for i in range(len(geoms)):
                dev = f"onoise.m.xm{i}.msky130_fd_pr__{device}"
                gens = [n for n in col if n.startswith(dev + ".")]
                if f"{dev}.1overf" not in col or f"{dev}.id" not in col or dev not in col:
                    sys.exit(f"extract-noise.py: {prefix}n{j}_{k}.txt lacks the vectors of xm{i}")
                flick = vals[:, col[f"{dev}.1overf"]]
                therm = vals[:, col[f"{dev}.id"]]
                para = np.sqrt(sum(vals[:, col[g]] ** 2 for g in gens if g not in (f"{dev}.1overf", f"{dev}.id")))
                total = vals[:, col[dev]]
                rows[(i, j, k)] += [therm[2], para[2]] + list(flick) + list(total)
    order = sorted(rows)  # geometry, Vds, Vgs
    return np.array([rows[key] for key in order]), notes, dt


def sanity(device, corner, rows, notes, dt):
    c = {n: j for j, n in enumerate(NOISE_COLUMNS)}
    sat = (np.abs(rows[:, c["vds"]]) > 0.5) & (rows[:, c["id"]] > 1e-9)
    fl = rows[sat, c["sid_flicker_1000"]]
    th = rows[sat, c["sid_thermal"]]
    # Channel thermal noise over 4kT*gm in saturation: the foundry's "gamma".
    gamma = th ** 2 / (4 * 1.380649e-23 * (TEMP + 273.15) * rows[sat, c["gm"]])
    # Flicker slope between 100 Hz and 10 kHz: 1/f^EF in power.
    ef = -np.log10((rows[sat, c["sid_flicker_10000"]] / rows[sat, c["sid_flicker_100"]]) ** 2) / 2
    print(f"  {device:9s} {corner}: {len(rows):5d} rows, ngspice {dt:5.1f} s; saturation: flicker@1kHz "
          f"{fl.min():.2e}..{fl.max():.2e} A/rtHz, thermal/(4kT gm) {np.percentile(gamma, 5):.2f}.."
          f"{np.percentile(gamma, 95):.2f}, EF {ef.min():.3f}..{ef.max():.3f}; warnings/errors {len(notes)}")
    for n in notes[:3]:
        print(f"    ngspice: {n}")


def write(results, geoms, elapsed):
    files = {}
    for (device, corner), rows in results.items():
        name = f"{device}-{corner}-noise.f32"
        rows.astype("<f4").tofile(os.path.join(DATA, name))
        files[name] = {"device": f"sky130_fd_pr__{device}", "corner": corner, "rows": int(len(rows)),
                       "columns": "noise_columns"}
    path = os.path.join(DATA, "manifest.json")
    man = json.load(open(path))
    man["noise_columns"] = NOISE_COLUMNS
    man["noise"] = {
        "temp": TEMP, "vds": list(VDS), "vgs": VGS, "vbs": 0.0, "freqs_Hz": FREQS,
        "geometries_um": [[w, l] for (w, l) in geoms],
        "units": "sid_* in A/sqrt(Hz) (one-sided); id A; gm, gds, gmbs S; V; um",
        "extraction_seconds": round(elapsed, 1),
        "script": "scripts/pdk/extract-noise.py",
    }
    man["files"].update(files)
    with open(path, "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")


def check(lib, work):
    man = json.load(open(os.path.join(DATA, "manifest.json")))
    geoms = [tuple(g) for g in man["noise"]["geometries_um"]]
    pick = [geoms[0], geoms[-1]]
    worst = 0.0
    for device in DEVICES:
        rows, _, dt = run_one(lib, "tt", device, pick, work)
        ref = np.fromfile(os.path.join(DATA, f"{device}-tt-noise.f32"), dtype="<f4").reshape(-1, len(NOISE_COLUMNS))
        keyed = {tuple(np.round(r[:6].astype(np.float64), 4)): r for r in ref}
        sel = np.array([keyed[tuple(np.round(r[:6].astype(np.float32).astype(np.float64), 4))] for r in rows])
        x, y = rows[:, 6:], sel[:, 6:].astype(np.float64)
        scale = np.maximum(np.abs(y), 1e-3 * np.max(np.abs(y), axis=0) + 1e-300)
        d = float(np.max(np.abs(x - y) / scale))
        worst = max(worst, d)
        print(f"  check {device} tt ({dt:.1f} s, {len(rows)} rows): max relative difference {d:.1e}")
    ok = worst < 1e-5
    print(f"check {'PASSED' if ok else 'FAILED'}: worst relative difference {worst:.2e} (limit 1e-5)")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corners", default=",".join(CORNERS))
    ap.add_argument("--small", action="store_true", help="2 L x 2 W geometries")
    ap.add_argument("--check", action="store_true", help="re-extract two geometries (tt) and compare")
    ap.add_argument("--keep", action="store_true", help="keep the ngspice work folder")
    args = ap.parse_args()
    folder = extract.fetch_models()
    work = tempfile.mkdtemp(prefix="miller-pdk-noise-")
    with open(os.path.join(work, ".spiceinit"), "w") as f:
        f.write(extract.SPICEINIT)
    lib = extract.build_cut_library(folder, work)
    if args.check:
        sys.exit(0 if check(lib, work) else 1)
    corners = [c for c in args.corners.split(",") if c]
    bad = [c for c in corners if c not in CORNERS]
    if bad:
        sys.exit(f"extract-noise.py: unknown corner(s) {bad}; known: {CORNERS}")
    geoms = geometries(args.small)
    print(f"extracting noise: {len(geoms)} geometries x {len(VDS)} Vds x {len(VGS)} Vgs x {len(FREQS)} frequencies, "
          f"corners {corners}, work folder {work}")
    results, t0 = {}, time.time()
    for corner in corners:
        for device in DEVICES:
            rows, notes, dt = run_one(lib, corner, device, geoms, work)
            results[(device, corner)] = rows
            sanity(device, corner, rows, notes, dt)
    write(results, geoms, time.time() - t0)
    print(f"wrote {len(results)} noise files to {DATA} ({time.time() - t0:.1f} s)")
    if not args.keep:
        for f in os.listdir(work):
            os.remove(os.path.join(work, f))
        os.rmdir(work)


if __name__ == "__main__":
    main()
