#!/usr/bin/env python3
"""Circuit-level check of the sky130 BSIM-lite cards (issue 5): `miller sim` on our cards against ngspice on
the foundry models, for two-stage Miller op-amps (Structure I with the self-biased reference).

    scripts/pdk/compare-circuits.py [--sizings N] [--corners tt,ff,ss,fs,sf] [--out docs/pdk/sky130-circuits.md]
                                    [--miller .build/release/miller] [--models DIR] [--json FILE]
                                    [--only s05:tt,s14] [--benches ac,slew] [--keep-decks DIR]

N sizings (default 20) are drawn deterministically (fixed seed) over the usual design space: input pair
L 0.5-4 um, mirror/second-stage L 0.5-2 um, tail current 4-40 uA from the beta-multiplier (R2, M13/M12
ratio, M5/M11 and M7/M11 mirror ratios), Cc 0.3-2 pF, Rz 0-20 kOhm; M6 is sized against M4 for a
zero systematic offset so the open-loop output sits near mid-rail. Each sizing is measured in every corner
with the six official testbenches (AICAS 2025 method, shared/anchors/aicas2025.md; same decks as
scripts/signoff): gain, GBW, PM (open loop), SR (first rising edge), CMRR, PSRR (follower, 1 kHz),
input-referred noise at 1 kHz, Idc. ngspice runs the cut-down foundry library (nfet/pfet_01v8 sections
only, .spiceinit ngbehavior=hsa, ng_nomodcheck, num_threads=1), one process at a time; Miller runs the
same decks with `.lib pdk/sky130/sky130.lib.spice <corner>`.

Errors: |difference| in dB for gain, CMRR, PSRR; in degrees for PM; relative % for GBW, SR, Idc, noise.
The ngspice results are cached in pdk/sky130/data/circuits-ngspice.json (keyed by netlist text and corner), so
a rerun on new cards needs only Miller; --rerun-ngspice redoes them. The markdown table gives median and 95th percentile per metric over all sizings x corners, against the
issue's median targets, and the per-sizing numbers below it.

To look into single runs: `--only s05:tt,s14` (sizing, or sizing:corner) and `--benches slew,noise` limit
the runs (no report is written then unless --out is given; each run's results and any failure print);
`--keep-decks DIR` runs in DIR and leaves the decks there (`<sizing>_mi_<bench>_<corner>.cir` for Miller,
`<sizing>.spice` the amplifier, `.spiceinit`), so a failing deck reruns with `miller sim DIR/X.cir`.
"""
import argparse, contextlib, hashlib, json, math, os, random, re, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

VDD, VCM, CL = 1.8, 0.9, 2.0
CORNERS = ["tt", "ff", "ss", "fs", "sf"]
BENCHES = ("ac", "slew", "cmrr", "psrr", "noise", "idc")
# metric: (kind of error, median target)
METRICS = {
    "gain_db": ("dB", 2.0), "gbw_mhz": ("%", 5.0), "pm_deg": ("deg", 2.0), "sr_v_per_us": ("%", 5.0),
    "idc_ua": ("%", 3.0), "cmrr_db": ("dB", 4.0), "psrr_db": ("dB", 4.0), "noise_nv_per_rthz": ("%", 10.0),
}


def load_signoff():
    """The cut-down library builder and model finder of scripts/signoff (one source for the method)."""
    import importlib.machinery, importlib.util
    path = os.path.join(ROOT, "scripts", "signoff")
    loader = importlib.machinery.SourceFileLoader("signoff", path)
    spec = importlib.util.spec_from_loader("signoff", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- sizings

def fet(name, d, g, s, b, kind, w, l, nf=1):
    cell = "sky130_fd_pr__nfet_01v8" if kind == "n" else "sky130_fd_pr__pfet_01v8"
    w, l = f"{w:.4g}", f"{l:.4g}"
    df, sf = f"int(({nf}+1)/2)", f"int(({nf}+2)/2)"
    pf = f"{w}/{nf}"
    return (f"X{name} {d} {g} {s} {b} {cell} L={l} W={w} nf={nf} ad='{df} * {pf} * 0.29' as='{sf} * {pf} * 0.29'"
            f" pd='2*{df} * ({pf} + 0.29)' ps='2*{sf} * ({pf} + 0.29)' nrd='0.29 / {w}' nrs='0.29 / {w}'"
            " sa=0 sb=0 sd=0 mult=1 m=1")


def sizings(n, seed=5):
    """n deterministic Structure I sizings with the self-biased reference (dicts of W, L in um)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pick = lambda xs: xs[rng.randrange(len(xs))]
        l1 = pick([0.5, 1, 1.5, 2, 3, 4])
        l3 = pick([0.5, 1, 1.5, 2])
        l5 = pick([0.5, 1, 2])
        r2 = pick([2.5, 4, 5, 7, 10, 15])          # kOhm: reference current ~ n Vt ln K / R2
        k = pick([4, 8])                             # M13/M12
        iref = 1.4 * 0.0258 * math.log(k) / (r2 * 1e3) * 1e6  # uA, rough
        m5 = pick([1, 1.5, 2, 3])                   # tail = m5 * iref
        m7 = pick([2, 3, 4, 6])                     # second stage = m7 * iref
        itail = m5 * iref
        w1 = round(itail * pick([0.8, 1.5, 2.5, 4]) * l1, 2)          # weak-to-moderate inversion pair
        w1 = min(max(w1, 2.0), 80.0)
        w3 = round(min(max(itail / 2 * pick([0.5, 0.8, 1.2]) * l3, 1.0), 40.0), 2)
        w11 = round(min(max(iref * 0.5 * l5, 1.0), 20.0), 2)
        w5, w7 = round(w11 * m5, 2), round(w11 * m7, 2)
        # Zero systematic offset: (W/L)6 / (W/L)4 = 2 (W/L)7 / (W/L)5, M6 at M4's length.
        w6 = round(w3 * 2 * m7 / m5, 2)
        cc = pick([0.3, 0.5, 0.8, 1.2, 2.0])
        rz = pick([0, 2, 5, 10, 20])
        out.append(dict(name=f"s{i + 1:02d}", l1=l1, w1=w1, l3=l3, w3=w3, l5=l5, w5=w5, w7=w7, w11=w11,
                        w6=w6, cc=cc, rz=rz, r2=r2, k=k, iref=iref))
    return out


def subckt(s, name="AMP", w6=None):
    """The challenge-format subcircuit (same device list and instance parameters as Miller's Design)."""
    x = [f".subckt {name} Vinp Vinn VDD VSS Vout",
         fet("M1", "n1", "Vinn", "tail", "VSS", "n", s["w1"], s["l1"]),
         fet("M2", "n2", "Vinp", "tail", "VSS", "n", s["w1"], s["l1"]),
         fet("M3", "n1", "n1", "VDD", "VDD", "p", s["w3"], s["l3"]),
         fet("M4", "n2", "n1", "VDD", "VDD", "p", s["w3"], s["l3"]),
         fet("M5", "tail", "nbias", "VSS", "VSS", "n", s["w5"], s["l5"]),
         fet("M6", "Vout", "n2", "VDD", "VDD", "p", w6 or s["w6"], s["l3"]),
         fet("M7", "Vout", "nbias", "VSS", "VSS", "n", s["w7"], s["l5"]),
         fet("M10", "nbias", "pb", "VDD", "VDD", "p", 4, 2),
         fet("M11", "nbias", "nbias", "VSS", "VSS", "n", s["w11"], s["l5"]),
         fet("M8", "pb", "pb", "VDD", "VDD", "p", 4, 2),
         fet("M9", "na", "pb", "VDD", "VDD", "p", 4, 2),
         fet("M12", "na", "na", "VSS", "VSS", "n", 20, 2),
         fet("M13", "pb", "na", "nr", "VSS", "n", 20 * s["k"], 2),
         fet("MS1", "pb", "pb", "ns", "VSS", "n", 2, 0.5),
         fet("MS2", "ns", "ns", "VSS", "VSS", "n", 2, 0.5),
         f"Rz n2 nz {s['rz']:g}k" if s["rz"] > 0 else "Rz n2 nz 1",
         f"Cc nz Vout {s['cc']:g}p",
         f"R2 nr VSS {s['r2']:g}k",
         f".ends {name}"]
    return "\n".join(x) + "\n"


def trim(s, lib, work, corner="tt"):
    """Scales M6's width so the open-loop output sits at mid-rail on the foundry models in `corner`, as a
    designer trims the systematic offset (else the open-loop gain is measured with M6 or M7 in triode and
    says more about the offset than about the models). Two ngspice runs of 13 copies each."""
    lo, hi = math.log(0.3), math.log(3.0)
    for _ in range(2):
        factors = [math.exp(lo + (hi - lo) * k / 12) for k in range(13)]
        deck = [f"* trim {s['name']}", f'.lib "{lib}" {corner}', "Vdd vdd 0 1.8", f"Vp vinp 0 {VCM}", f"Vn vinn 0 {VCM}"]
        for k, f in enumerate(factors):
            deck.append(subckt(s, name=f"AMP{k}", w6=s["w6"] * f))
            deck.append(f"X{k} vinp vinn vdd 0 o{k} AMP{k}")
        deck += [".temp 27", ".control", "op"] + [f'echo "RESULT o{k} $&v(o{k})"' for k in range(13)] + [".endc", ".end"]
        path = os.path.join(work, f"trim_{s['name']}.cir")
        with open(path, "w") as f:
            f.write("\n".join(deck) + "\n")
        r, _, text = run_one(["ngspice", "-b"], path, work)
        v = [r.get(f"o{k}") for k in range(13)]
        if any(x is None for x in v):
            raise RuntimeError(f"trim {s['name']}: no operating point\n{text[-600:]}")
        # Vout falls as M6 grows; find the bracket around mid-rail.
        k = next((k for k in range(12) if (v[k] - VDD / 2) * (v[k + 1] - VDD / 2) <= 0), None)
        if k is None:
            return s["w6"] * factors[min(range(13), key=lambda k: abs(v[k] - VDD / 2))]
        lo, hi = math.log(factors[k]), math.log(factors[k + 1])
        if abs(v[k] - v[k + 1]) < 0.05:
            break
    a, b = v[k] - VDD / 2, v[k + 1] - VDD / 2
    x = lo + (hi - lo) * (a / (a - b) if a != b else 0.5)
    return s["w6"] * math.exp(x)


# ---------------------------------------------------------------- running

def parse(text):
    r = {}
    for line in text.splitlines():
        m = re.match(r"\s*RESULT (\S+) (\S+)", line)
        if m:
            try:
                r[m.group(1)] = float(m.group(2))
            except ValueError:
                pass
    return r


def run_one(cmd, deck, work):
    t = time.time()
    try:
        out = subprocess.run(cmd + [deck], capture_output=True, text=True, cwd=work, timeout=600)
        text = out.stdout + out.stderr
    except subprocess.TimeoutExpired:
        text = ""
    return parse(text), time.time() - t, text


def measure(signoff, tool_cmd, lib, corner, amp, work, tag, benches=BENCHES):
    row, secs, logs = {}, 0.0, []
    for kind in benches:
        deck = os.path.join(work, f"{tag}_{kind}_{corner}.cir")
        text = signoff.bench(kind, lib, corner, amp)
        # Miller's echo substitutes vectors, not expressions: go through a `let`.
        text = text.replace('echo "RESULT vout_dc $&v(vout)"', 'let vodc = v(vout)\necho "RESULT vout_dc $&vodc"')
        with open(deck, "w") as f:
            f.write(text)
        r, dt, text = run_one(tool_cmd, deck, work)
        secs += dt
        if not r:
            logs.append(f"{tag} {kind} {corner}: no result\n" + text[-800:])
        if "gbw_hz" in r:
            r["gbw_mhz"] = r.pop("gbw_hz") / 1e6
        if "noise_uv_per_rthz" in r:
            r["noise_nv_per_rthz"] = r.pop("noise_uv_per_rthz") * 1e3
        row.update(r)
    return row, secs, logs


def error(metric, ours, ref):
    kind = METRICS[metric][0]
    if ours is None or ref is None or not (math.isfinite(ours) and math.isfinite(ref)):
        return None
    if kind == "%":
        return abs(ours / ref - 1) * 100 if ref != 0 else None
    if kind == "deg":  # phases: the same angle may come out 360° apart
        return abs((ours - ref + 180) % 360 - 180)
    return abs(ours - ref)


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizings", type=int, default=20)
    ap.add_argument("--corners", default=",".join(CORNERS))
    ap.add_argument("--out", help="report (default docs/pdk/sky130-circuits.md; none with --only unless given)")
    ap.add_argument("--miller", default=os.path.join(ROOT, ".build", "release", "miller"))
    ap.add_argument("--cards", default=os.path.join(ROOT, "pdk", "sky130", "sky130.lib.spice"))
    ap.add_argument("--reference", default=os.path.join(ROOT, "pdk", "sky130", "data", "circuits-ngspice.json"),
                    help="cache of the ngspice results, keyed by netlist and corner (reused when present)")
    ap.add_argument("--rerun-ngspice", action="store_true", help="ignore the cached ngspice results")
    ap.add_argument("--models")
    ap.add_argument("--json")
    ap.add_argument("--only", help="comma list of sizings (s05) or sizing:corner pairs (s05:tt) to run")
    ap.add_argument("--benches", default=",".join(BENCHES), help="comma list of Miller benches to run (the others show as missing)")
    ap.add_argument("--keep-decks", metavar="DIR", help="run in DIR and keep the decks there")
    a = ap.parse_args()
    corners = a.corners.split(",")
    benches = [b for b in a.benches.split(",") if b]
    if any(b not in BENCHES for b in benches):
        sys.exit(f"compare-circuits: --benches takes {','.join(BENCHES)}")
    only = [x.split(":") for x in a.only.split(",") if x] if a.only else None
    if a.out is None and only is None:
        a.out = os.path.join(ROOT, "docs", "pdk", "sky130-circuits.md")
    signoff = load_signoff()
    a.miller = os.path.abspath(a.miller)  # the decks run in a temporary folder
    if not os.path.exists(a.miller):
        sys.exit(f"compare-circuits: {a.miller} not built (swift build -c release --product miller)")
    cards = os.path.abspath(a.cards)
    designs = sizings(a.sizings)
    cache = {}
    if os.path.exists(a.reference) and not a.rerun_ngspice:
        with open(a.reference) as f:
            cache = json.load(f)
    key = lambda s, c: hashlib.sha1((subckt(s) + c).encode()).hexdigest()[:16]
    trims = cache.setdefault("trim", {})
    need_trim = [s for s in designs if key(s, "trim") not in trims]
    folder = None
    ours_by = {}
    timing = {"ngspice": 0.0, "miller": 0.0}
    if a.keep_decks:
        os.makedirs(a.keep_decks, exist_ok=True)
        workplace = contextlib.nullcontext(os.path.abspath(a.keep_decks))
    else:
        workplace = tempfile.TemporaryDirectory(prefix="miller-circuits-")
    with workplace as work:
        with open(os.path.join(work, ".spiceinit"), "w") as f:
            f.write("set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n")
        lib = None
        if need_trim:
            folder = signoff.find_models(a.models)
            lib = signoff.cut_library(folder, work)
        for s in designs:
            k = key(s, "trim")
            if k not in trims:
                t0 = time.time()
                trims[k] = dict(sizing=s["name"], w6=float(f"{trim(s, lib, work):.3g}"))
                timing["ngspice"] += time.time() - t0
                print(f"  trim {s['name']}: M6 W {s['w6']:g} -> {trims[k]['w6']:g} um", file=sys.stderr, flush=True)
            s["w6_drawn"] = s["w6"]
            s["w6"] = trims[k]["w6"]
        jobs = [(s, c) for s in designs for c in corners
                if only is None or any(o[0] == s["name"] and (len(o) == 1 or o[1] == c) for o in only)]
        need = [(s, c) for s, c in jobs if key(s, c) not in cache]
        if need and len(benches) < len(BENCHES):
            sys.exit("compare-circuits: --benches needs every run's ngspice result cached (the cache keeps whole runs)")
        if need and lib is None:
            folder = signoff.find_models(a.models)
            lib = signoff.cut_library(folder, work)
        for s in designs:
            with open(os.path.join(work, f"{s['name']}.spice"), "w") as f:
                f.write(subckt(s))
        amp = lambda s: os.path.join(work, f"{s['name']}.spice")

        def reference():
            # One ngspice process at a time (two OpenMP ngspice processes on 2 cores crawl).
            for s, c in need:
                ref, dt, logs = measure(signoff, ["ngspice", "-b"], lib, c, amp(s), work, s["name"] + "_ng", benches)
                timing["ngspice"] += dt
                for l in logs:
                    print(l, file=sys.stderr)
                cache[key(s, c)] = dict(sizing=s["name"], corner=c, result=ref)
                print(f"  ngspice {s['name']} {c}: {dt:.1f} s", file=sys.stderr, flush=True)

        def ours():
            for s, c in jobs:
                r, dt, logs = measure(signoff, [a.miller, "sim"], cards, c, amp(s), work, s["name"] + "_mi", benches)
                timing["miller"] += dt
                for l in logs:
                    print(l, file=sys.stderr)
                ours_by[(s["name"], c)] = r
                print(f"  miller  {s['name']} {c}: {dt:.1f} s", file=sys.stderr, flush=True)
                if only is not None:
                    ref = cache.get(key(s, c), {}).get("result", {})
                    print(f"  {s['name']} {c} (foundry / ours): " + ", ".join(
                        f"{m} {ref.get(m, float('nan')):.4g} / {r.get(m, float('nan')):.4g}"
                        for m in ["vout_dc"] + list(METRICS) if m in r or m in ref), file=sys.stderr, flush=True)

        # ngspice and Miller side by side (different programs: the one-ngspice-at-a-time rule holds).
        t = threading.Thread(target=reference)
        t.start()
        ours()
        t.join()
    if need or need_trim:
        os.makedirs(os.path.dirname(a.reference), exist_ok=True)
        with open(a.reference, "w") as f:
            json.dump(dict(sorted(cache.items())), f, indent=1, sort_keys=True)
            f.write("\n")
    results = [dict(sizing=s["name"], corner=c, ref=cache[key(s, c)]["result"], ours=ours_by[(s["name"], c)])
               for s, c in jobs]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(designs=designs, results=results), f, indent=1)
    if a.out:
        write_report(a, designs, results, corners, timing["ngspice"] if (need or need_trim) else None, timing["miller"])


def write_report(a, designs, results, corners, t_ng, t_mi):
    errs = {m: [] for m in METRICS}
    missing = {m: 0 for m in METRICS}
    for r in results:
        for m in METRICS:
            e = error(m, r["ours"].get(m), r["ref"].get(m))
            if e is None:
                missing[m] += 1
            else:
                errs[m].append(e)
    unit = {"dB": "dB", "%": "%", "deg": "°"}
    lines = [
        "# sky130 BSIM-lite cards: circuit-level comparison",
        "",
        "Generated by `scripts/pdk/compare-circuits.py`; do not edit. "
        f"{len(designs)} two-stage Miller op-amp sizings (Structure I with the self-biased beta-multiplier reference "
        "and start-up, `shared/anchors/aicas2025.md`) × corners " + " ".join(corners) + ", each measured with the six "
        "official testbenches (the decks of `scripts/signoff`): `miller sim` with `pdk/sky130/sky130.lib.spice` against "
        "ngspice 39 with the sky130 0.15.3 foundry models (cut-down library, `ngbehavior=hsa`).",
        "",
        "Errors: |ours − foundry| in dB (gain, CMRR, PSRR) and degrees (PM); |ours/foundry − 1| in % (GBW, SR, Idc, "
        "noise at 1 kHz).",
        "",
        "## Summary (issue 5 circuit-level acceptance: the median)",
        "",
        "| metric | n | median | 95th percentile | max | target (median) | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for m, (kind, target) in METRICS.items():
        xs = errs[m]
        med, p95, mx = pct(xs, 0.5), pct(xs, 0.95), (max(xs) if xs else float("nan"))
        ok = "yes" if xs and med <= target else "no"
        miss = f" ({missing[m]} missing)" if missing[m] else ""
        lines.append(f"| {m} | {len(xs)}{miss} | {med:.2f} {unit[kind]} | {p95:.2f} {unit[kind]} | {mx:.2f} {unit[kind]} "
                     f"| ≤ {target:g} {unit[kind]} | {ok} |")
    ng = f"ngspice {t_ng:.0f} s, " if t_ng is not None else "ngspice results from `pdk/sky130/data/circuits-ngspice.json`, "
    lines += ["", f"Wall time of the runs: {ng}`miller sim` {t_mi:.0f} s (sums over processes on a loaded shared 2-core "
              "machine; for speed see BENCHMARKS.md).", "",
              "## Sizings", "",
              "W/L in µm, Cc pF, Rz and R2 kΩ; M6 has M4's length; M10, M8, M9 are 4/2 PMOS, M12 20/2, M13 K·20/2; "
              "start-up MS1/MS2 2/0.5.", "",
              "| sizing | M1,2 | M3,4 | M5 | M6 | M7 | M11 | Cc | Rz | R2 | K |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in designs:
        lines.append(f"| {s['name']} | {s['w1']:g}/{s['l1']:g} | {s['w3']:g}/{s['l3']:g} | {s['w5']:g}/{s['l5']:g} | "
                     f"{s['w6']:g}/{s['l3']:g} | {s['w7']:g}/{s['l5']:g} | {s['w11']:g}/{s['l5']:g} | {s['cc']:g} | "
                     f"{s['rz']:g} | {s['r2']:g} | {s['k']} |")
    lines += ["", "## Every run (foundry / ours)", "",
              "| sizing | corner | open-loop Vout V | gain dB | GBW MHz | PM ° | SR V/µs | Idc µA | CMRR dB | PSRR dB | noise nV/√Hz |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        cells = []
        for m in ["vout_dc"] + list(METRICS):
            x, y = r["ref"].get(m), r["ours"].get(m)
            f = lambda v: "n/a" if v is None else f"{v:.4g}"
            cells.append(f"{f(x)} / {f(y)}")
        lines.append(f"| {r['sizing']} | {r['corner']} | " + " | ".join(cells) + " |")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines[:20]))


if __name__ == "__main__":
    main()
