#!/usr/bin/env python3
"""Times the six official testbenches (ac, slew, cmrr, psrr, noise, idc) of one sky130 op-amp sizing in one
corner, whole process each: `miller sim` with our BSIM-lite cards (pdk/sky130/sky130.lib.spice) against
`ngspice -b` with the foundry models, both the full foundry `sky130.lib.spice` and the cut-down library
(nfet/pfet_01v8 sections only) that scripts/signoff uses. Runs are interleaved (ngspice full, ngspice cut,
miller, ...) so load changes hit all alike; each figure is the median of RUNS runs of the six-deck set:
CPU seconds (`perf stat -e task-clock`, else wall), wall seconds, and instructions where perf has them.
The sizing is sizing s01 of scripts/pdk/compare-circuits.py (Structure I with the self-biased reference).
Also times one ngspice run of an empty deck on each library: the library load alone.

    scripts/bench/sky130_testbenches.py [--corner tt] [--runs 5] [--miller .build/release/miller]

ngspice gets a .spiceinit with ngbehavior=hsa, ng_nomodcheck, num_threads=1 (shared/anchors/sky130-notes.md).
"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "pdk"))


def load(name, path):
    import importlib.machinery, importlib.util
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def perf_ok():
    try:
        return subprocess.run(["perf", "stat", "-x,", "-e", "task-clock", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def timed(cmd, cwd, use_perf):
    """(cpu s, wall s, instructions or None) of one process."""
    t = time.time()
    if use_perf:
        out = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock,instructions"] + cmd, capture_output=True,
                             text=True, cwd=cwd)
        wall = time.time() - t
        cpu, ins = wall, None
        for line in out.stderr.splitlines():
            f = line.split(",")
            if len(f) > 2 and f[2].startswith("task-clock"):
                cpu = float(f[0]) / 1e3
            if len(f) > 2 and f[2].startswith("instructions") and f[0].replace(".", "").isdigit():
                ins = float(f[0])
        return cpu, wall, ins
    subprocess.run(cmd, capture_output=True, cwd=cwd)
    wall = time.time() - t
    return wall, wall, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corner", default="tt")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")))
    ap.add_argument("--miller", default=os.environ.get("MILLER", os.path.join(ROOT, ".build", "release", "miller")))
    ap.add_argument("--models")
    a = ap.parse_args()
    signoff = load("signoff", os.path.join(ROOT, "scripts", "signoff"))
    cc = load("compare_circuits", os.path.join(ROOT, "scripts", "pdk", "compare-circuits.py"))
    folder = signoff.find_models(a.models)
    full = os.path.join(folder, "sky130.lib.spice")
    cards = os.path.join(ROOT, "pdk", "sky130", "sky130.lib.spice")
    use_perf = perf_ok()
    with tempfile.TemporaryDirectory(prefix="miller-bench-sky130-") as work:
        with open(os.path.join(work, ".spiceinit"), "w") as f:
            f.write("set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n")
        env_home = work
        cut = signoff.cut_library(folder, work)
        amp = os.path.join(work, "amp.spice")
        with open(amp, "w") as f:
            f.write(cc.subckt(cc.sizings(1)[0]))
        sets = {}
        for tag, lib, tool in [("ngspice, full foundry library", full, ["ngspice", "-b"]),
                               ("ngspice, cut-down foundry library", cut, ["ngspice", "-b"]),
                               ("miller sim, our cards", cards, [os.path.abspath(a.miller), "sim"])]:
            decks = []
            for kind in cc.BENCHES:
                path = os.path.join(work, f"{len(sets)}_{kind}.cir")
                text = signoff.bench(kind, lib, a.corner, amp)
                # Miller's echo substitutes vectors, not expressions: go through a `let` (both simulators).
                text = text.replace('echo "RESULT vout_dc $&v(vout)"', 'let vodc = v(vout)\necho "RESULT vout_dc $&vodc"')
                with open(path, "w") as f:
                    f.write(text)
                decks.append(path)
            empty = os.path.join(work, f"{len(sets)}_load.cir")
            with open(empty, "w") as f:
                f.write(f"* library load only\n.lib \"{lib}\" {a.corner}\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n")
            sets[tag] = (tool, decks, empty)
        # Results must agree in kind before timing means anything: print the measured numbers once.
        for tag, (tool, decks, _) in sets.items():
            vals = []
            for d in decks:
                out = subprocess.run(tool + [d], capture_output=True, text=True, cwd=work)
                vals += re.findall(r"RESULT (\S+) (\S+)", out.stdout)
            print(f"{tag}: " + ", ".join(f"{k} {float(v):.4g}" for k, v in vals))
        times = {tag: [] for tag in sets}
        loads = {tag: [] for tag in sets}
        os.environ["HOME"] = env_home  # no ~/.spiceinit changes what ngspice does
        for _ in range(a.runs):
            for tag, (tool, decks, empty) in sets.items():
                cpu = wall = 0.0
                ins = 0.0
                for d in decks:
                    c, w, i = timed(tool + [d], work, use_perf)
                    cpu += c; wall += w; ins = ins + i if (i is not None and ins is not None) else None
                times[tag].append((cpu, wall, ins))
                loads[tag].append(timed(tool + [empty], work, use_perf))
    print(f"\nsix testbenches (ac slew cmrr psrr noise idc), sizing s01, corner {a.corner}, median of {a.runs} runs"
          f" ({'perf task-clock' if use_perf else 'wall clock'})\n")
    print("| simulator | CPU s (6 decks) | wall s | instructions | library load alone, CPU s |")
    print("|---|---|---|---|---|")
    for tag in sets:
        cpu = statistics.median(t[0] for t in times[tag])
        wall = statistics.median(t[1] for t in times[tag])
        ins = [t[2] for t in times[tag] if t[2]]
        ld = statistics.median(t[0] for t in loads[tag])
        print(f"| {tag} | {cpu:.2f} | {wall:.2f} | {statistics.median(ins):.3g} | {ld:.2f} |" if ins else
              f"| {tag} | {cpu:.2f} | {wall:.2f} | n/a | {ld:.2f} |")


if __name__ == "__main__":
    main()
