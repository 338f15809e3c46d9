#!/usr/bin/env python3
"""Regenerates Tests/SpiceTests/Goldens/convergence: op-amp testbench decks that once failed to converge in
Miller (issue 5's circuit comparison) with a frozen copy of the sky130 card bins they use, and ngspice 39's
results on those same cards.

    scripts/goldens/make-convergence-decks.py [--cards pdk/sky130/sky130.lib.spice]

Each case is a sizing, bench and corner of scripts/pdk/compare-circuits.py (M6 trimmed as there, from the
cached trims in pdk/sky130/data/circuits-ngspice.json) run with the official bench text of scripts/signoff.
`cards.lib` keeps, per corner used, the two subcircuits and only the model bins the decks' instances fall in
(so the tests do not move when the cards are refitted); `expected.json` holds ngspice 39's RESULT values on
those cards (one ngspice at a time, under flock /tmp/ngspice.lock) and, for reference, the foundry value.
"""
import argparse, hashlib, importlib.machinery, importlib.util, json, os, re, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SpiceTests", "Goldens", "convergence")
# (sizing, bench, corner): what failed before the CKTop homotopies (dynamic gmin with many steps; true gmin
# stepping; the start-up node; the noise bench; the slew bench's operating point; an extrapolated pfet).
CASES = [("s06", "cmrr", "ss"), ("s09", "psrr", "fs"), ("s18", "cmrr", "ss"), ("s03", "noise", "ss"),
         ("s17", "slew", "ff"), ("s14", "psrr", "ff")]


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(mod)
    return mod


def sections(text):
    """corner -> (header lines, subckt blocks, {model name: card text})."""
    out = {}
    for m in re.finditer(r"^\.lib (\w+)\n(.*?)^\.endl \1\n", text, re.S | re.M):
        body = m.group(2)
        subckts = re.findall(r"^\.subckt .*?^\.ends \S+\n", body, re.S | re.M)
        models = {mm.group(1): mm.group(0) for mm in re.finditer(r"^\.model (\S+) [np]mos\n(?:\+.*\n)+", body, re.M)}
        out[m.group(1)] = (subckts, models)
    return out


def bins(models, prefix, l, w):
    """The bins an instance of length l, width w (µm) may fall in (boundaries count on both sides)."""
    keep = []
    for name, card in models.items():
        if not name.startswith(prefix + "."):
            continue
        p = {k: float(v) for k, v in re.findall(r"\b(lmin|lmax|wmin|wmax)=([-+0-9.eE]+)", card)}
        if p["lmin"] * 1e6 <= l * (1 + 1e-9) and l <= p["lmax"] * 1e6 * (1 + 1e-9) \
                and p["wmin"] * 1e6 <= w * (1 + 1e-9) and w <= p["wmax"] * 1e6 * (1 + 1e-9):
            keep.append(name)
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", default=os.path.join(ROOT, "pdk", "sky130", "sky130.lib.spice"))
    a = ap.parse_args()
    cc = load("compare_circuits", os.path.join(ROOT, "scripts", "pdk", "compare-circuits.py"))
    signoff = cc.load_signoff()
    with open(os.path.join(ROOT, "pdk", "sky130", "data", "circuits-ngspice.json")) as f:
        cache = json.load(f)
    key = lambda s, c: hashlib.sha1((cc.subckt(s) + c).encode()).hexdigest()[:16]
    designs = {s["name"]: s for s in cc.sizings(20)}
    for s in designs.values():
        foundry = {c: cache.get(key(s, c), {}).get("result", {}) for c in cc.CORNERS}
        s["w6"] = cache["trim"][key(s, "trim")]["w6"]
        s["foundry"] = foundry
    lib = sections(open(a.cards).read())
    os.makedirs(OUT, exist_ok=True)
    needed = {}
    expected = {}
    for name, bench, corner in CASES:
        s = designs[name]
        amp = cc.subckt(s)
        for m in re.finditer(r"sky130_fd_pr__(\wfet_01v8) L=([0-9.]+) W=([0-9.]+) nf=1", amp):
            prefix = f"{m.group(1)}_{corner}"
            needed.setdefault(corner, set()).update(bins(lib[corner][1], prefix, float(m.group(2)), float(m.group(3))))
        text = signoff.bench(bench, "cards.lib", corner, "AMP_INLINE")
        text = text.replace('.include "AMP_INLINE"\n', amp)
        text = text.replace('echo "RESULT vout_dc $&v(vout)"', 'let vodc = v(vout)\necho "RESULT vout_dc $&vodc"')
        deck = f"{name}_{bench}_{corner}"
        with open(os.path.join(OUT, deck + ".cir"), "w") as f:
            f.write(text)
        expected[deck] = {"foundry": s["foundry"][corner]}
    with open(os.path.join(OUT, "cards.lib"), "w") as f:
        f.write("* Frozen subset of pdk/sky130/sky130.lib.spice (only the bins the convergence decks use), written by\n"
                "* scripts/goldens/make-convergence-decks.py; do not edit.\n\n")
        for corner in sorted(needed):
            subckts, models = lib[corner]
            f.write(f".lib {corner}\n.option scale=1e-6\n\n")
            for block in subckts:
                f.write(block + "\n")
            for name in sorted(needed[corner], key=lambda n: (n.split(".")[0], int(n.split(".")[1]))):
                f.write(models[name])
            f.write(f".endl {corner}\n\n")
    with tempfile.TemporaryDirectory() as work:
        for fn in os.listdir(OUT):
            if fn.endswith(".cir") or fn == "cards.lib":
                with open(os.path.join(OUT, fn)) as src, open(os.path.join(work, fn), "w") as dst:
                    dst.write(src.read())
        with open(os.path.join(work, ".spiceinit"), "w") as f:
            f.write("set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n")
        for deck in sorted(expected):
            out = subprocess.run(["flock", "/tmp/ngspice.lock", "ngspice", "-b", deck + ".cir"], cwd=work,
                                 capture_output=True, text=True, timeout=600, env=dict(os.environ, HOME=work))
            r = cc.parse(out.stdout)
            if not r:
                sys.exit(f"ngspice gave no result for {deck}:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
            expected[deck]["ngspice"] = r
            print(f"ok  {deck}: {r}")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
