#!/usr/bin/env python3
"""Which devices, geometries and biases make the circuit-level errors of the sky130 cards (issue 5).

    scripts/pdk/diagnose-circuit.py [--sizings s01,s05 | --count 20] [--corner tt] [--miller PATH]
                                    [--cards FILE] [--json FILE] [--quiet]

For each Structure I sizing of scripts/pdk/compare-circuits.py (same netlists, M6 trimmed as there) and
one corner it measures three things:

1. Operating points. The open-loop Idc bench (both inputs 0.9 V, no feedback; Idc, node voltages, open-loop
   gain at 1 Hz) and the unity-gain follower (the CMRR/PSRR bench: DC nodes, CMRR and PSRR at 1 kHz), in
   (a) ngspice on the foundry models and (b) `miller sim` on our cards; per device Id/gm/gds as each
   simulator reports them (`@m.xamp.xm1.msky130_fd_pr__nfet_01v8[id]`: the same flattened names in both).
2. Same bias. Every transistor is taken out of the circuit at the foundry run's terminal voltages (open
   loop and follower) and evaluated alone, foundry (ngspice) and ours (`miller sim`), with central
   differences of +-1 mV on gate, drain and bulk: terminal Id, gm, gds, gmbs, both sides the same way
   (the foundry's instance gm/gds are internal, behind its series Rs/Rd).
3. Swaps (ngspice only). ngspice runs our level-8 cards to Miller's numbers (checked: the all-ours variant
   is printed beside `miller sim`), so one deck holds copies of the amplifier with foundry models
   everywhere except one device group on our cards ("+group"), and ours everywhere except one group on the
   foundry's ("-group"): the change of Idc, open-loop Vout, follower offset, gain, CMRR and PSRR says what
   each group's model error costs and what fixing it would buy.

ngspice runs one process at a time under `flock /tmp/ngspice.lock`, with the cut-down foundry library of
scripts/signoff (ngbehavior=hsa, ng_nomodcheck, num_threads=1). Prints per-sizing tables and a summary
(medians over sizings); --json keeps everything.
"""
import argparse, importlib.machinery, importlib.util, json, math, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


cc = load("compare_circuits", os.path.join(HERE, "compare-circuits.py"))
signoff = cc.load_signoff()

VDD, VCM = cc.VDD, cc.VCM
NODES = ["vout", "n1", "n2", "tail", "nbias", "pb", "na", "nr", "ns"]
PORTS = {"vinp": "vinp", "vinn": "vinn", "vdd": "vdd", "vss": "0", "vout": "vout"}
DELTA = 1e-3  # V, half step of the central differences
# Swap groups: the beta multiplier (its current sets every bias), its mirror into M11, the two stages.
GROUPS = {"ref": ["M8", "M9", "M12", "M13", "MS1", "MS2"], "M8M9": ["M8", "M9"], "M12": ["M12"], "M13": ["M13"],
          "MS": ["MS1", "MS2"], "pmos": ["M3", "M4", "M6", "M8", "M9", "M10"], "pref": ["M8", "M9", "M10"],
          "nref": ["M12", "M13"],
          "M10": ["M10"], "M11": ["M11"], "M5": ["M5"], "M7": ["M7"], "pair": ["M1", "M2"], "load": ["M3", "M4"],
          "M6": ["M6"]}
FOUNDRY_CELL = {"n": "sky130_fd_pr__nfet_01v8", "p": "sky130_fd_pr__pfet_01v8"}
OURS_CELL = {"n": "ours_nfet_01v8", "p": "ours_pfet_01v8"}


# ---------------------------------------------------------------- netlists

def devices(s):
    """The amplifier's transistors as dicts (name, kind n/p, d g s b subcircuit nodes, w, l, nf, line)."""
    out = []
    for line in amp_text(s, "AMP").splitlines():
        m = re.match(r"X(\S+) (\S+) (\S+) (\S+) (\S+) sky130_fd_pr__([np])fet_01v8 L=(\S+) W=(\S+) nf=(\d+)", line)
        if m:
            out.append(dict(name=m.group(1), d=m.group(2).lower(), g=m.group(3).lower(), s=m.group(4).lower(),
                            b=m.group(5).lower(), kind=m.group(6), l=float(m.group(7)), w=float(m.group(8)),
                            nf=int(m.group(9)), line=line))
    return out


def amp_text(s, name, ours=()):
    """compare-circuits' subcircuit with the devices in `ours` on our cards (renamed cells), the rest foundry;
    s["snap"] (from snap()) replaces devices by fingered ones."""
    lines = []
    for line in cc.subckt(s, name=name).splitlines():
        m = re.match(r"X(\S+) (\S+) (\S+) (\S+) (\S+) sky130_fd_pr__([np])fet_01v8", line)
        if m and m.group(1) in s.get("snap", {}):
            w, l, nf = s["snap"][m.group(1)]
            line = cc.fet(m.group(1), *m.group(2, 3, 4, 5), m.group(6), w, l, nf)
        if m and m.group(1) in ours:
            line = line.replace("sky130_fd_pr__nfet_01v8", OURS_CELL["n"]).replace("sky130_fd_pr__pfet_01v8", OURS_CELL["p"])
        lines.append(line)
    return "\n".join(lines) + "\n"


FIT_W = [1.5, 5.0, 20.0, 100.0]
FIT_L = [0.15, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]


def snap(s):
    """The sizing with every device on the fitted grid: L to the nearest fitted L (log scale), W to nf fingers
    of a fitted width (M6 keeps M4's finger width). Not trimmed: compare its servo gain, offset, CMRR, PSRR,
    Idc, not its open-loop Vout. Says what the cards would give if they were right only at the grid."""
    near = lambda x, grid: min(grid, key=lambda g: abs(math.log(g / x)))
    def fingers(w, wf=None):
        options = [(f, max(1, round(w / f))) for f in ([wf] if wf else FIT_W[::-1])]
        err = lambda c: abs(math.log(c[0] * c[1] / w))
        # The widest finger within 10 % of W, else the closest total width.
        return next((c for c in options if err(c) < 0.1), min(options, key=err))
    out = dict(s, name=s["name"] + "g", snap={})
    text = cc.subckt(s)
    for line in text.splitlines():
        m = re.match(r"X(\S+) \S+ \S+ \S+ \S+ \S+ L=(\S+) W=(\S+)", line)
        if m:
            name, l, w = m.group(1), float(m.group(2)), float(m.group(3))
            wf, nf = fingers(w, out["snap"]["M4"][0] / out["snap"]["M4"][2] if name == "M6" else None)
            out["snap"][name] = (round(wf * nf, 4), near(l, FIT_L), nf)
    return out


def ours_library(cards, corner, work):
    """One corner of our cards with the subcircuits renamed ours_*, to sit beside the foundry's in ngspice."""
    text = open(cards).read()
    m = re.search(rf"^\.lib {corner}\n(.*?)^\.endl {corner}", text, re.S | re.M)
    body = m.group(1).replace("sky130_fd_pr__nfet_01v8", OURS_CELL["n"]).replace("sky130_fd_pr__pfet_01v8", OURS_CELL["p"])
    path = os.path.join(work, f"ours_{corner}.spice")
    with open(path, "w") as f:
        f.write(body)
    return path


def node(copy, n):
    """Top-level name of subcircuit node n of amplifier copy `copy`."""
    if n in PORTS:
        p = PORTS[n]
        return "0" if p == "0" else f"{p}_{copy}"
    return f"xa_{copy}.{n}"


def circuit_deck(s, variants, header, ours_cells, want_devices):
    """One deck, every variant three times: open loop (ol), follower with CM excitation (cm), follower with
    supply excitation (ps). variants: {name: set of devices on our cards}; ours_cells: True when `ours`
    uses the renamed cells (ngspice with both libraries), False for Miller (our library under its own names)."""
    lines = ["* diagnose-circuit " + s["name"]] + header
    ctl = ["op"]
    devs = devices(s)
    for v, ours in variants.items():
        lines.append(amp_text(s, f"AMP_{v}", ours if ours_cells else ()).rstrip())
        for cfg in ("ol", "cm", "ps", "sv"):
            c = f"{v}_{cfg}"
            lines += [f"Vdd_{c} vdd_{c} 0 dc {VDD:g}" + (" ac 1" if cfg == "ps" else ""),
                      f"Xa_{c} vinp_{c} vinn_{c} vdd_{c} 0 vout_{c} AMP_{v}", f"Cl_{c} vout_{c} 0 {cc.CL:g}p"]
            if cfg == "ol":
                lines += [f"Vinp_{c} vinp_{c} 0 dc {VCM:g} ac 0.5 180", f"Vinn_{c} vinn_{c} 0 dc {VCM:g} ac 0.5"]
            elif cfg == "sv":
                # DC servo: unity feedback at DC through 1 GH, AC-grounded at 1 Hz through 1 F, so the open-loop
                # gain is measured where each model balances (its own offset), not on a rail.
                lines += [f"Vinp_{c} vinp_{c} 0 dc {VCM:g} ac 0.5 180", f"Lsv_{c} vinn_{c} vout_{c} 1e9",
                          f"Csv_{c} vinn_{c} cn_{c} 1", f"Vsv_{c} cn_{c} 0 dc 0 ac 0.5"]
            else:
                lines += [f"Vinp_{c} vinp_{c} 0 dc {VCM:g}" + (" ac 1" if cfg == "cm" else ""),
                          f"Vfb_{c} vinn_{c} vout_{c} dc 0" + (" ac 1" if cfg == "cm" else "")]
        ctl += [f"let r_{v}_idc = -i(vdd_{v}_ol)", f'echo "RESULT {v}.idc $&r_{v}_idc"',
                f"let r_{v}_idcfb = -i(vdd_{v}_cm)", f'echo "RESULT {v}.idc_fb $&r_{v}_idcfb"']
        for cfg in ("ol", "cm"):
            for n in NODES:
                q = f"r_{v}_{cfg}_{n}"
                ctl += [f"let {q} = v({node(f'{v}_{cfg}', n)})", f'echo "RESULT {v}.{cfg}.{n} $&{q}"']
            if v in want_devices:
                for d in devs:
                    cell = (OURS_CELL if (ours_cells and d["name"] in ours) else FOUNDRY_CELL)[d["kind"]]
                    inst = f"@m.xa_{v}_{cfg}.x{d['name'].lower()}.m{cell}"
                    for qn in ("id", "gm", "gds", "vth", "vdsat"):
                        q = f"d_{v}_{cfg}_{d['name']}_{qn}"
                        ctl += [f"let {q} = {inst}[{qn}]", f'echo "RESULT {v}.{cfg}.{d["name"]}.{qn} $&{q}"']
    ctl.append("ac lin 1 1 1")
    for v in variants:
        ctl += [f"let g_{v} = vdb(vout_{v}_ol)", f'echo "RESULT {v}.gain_db $&g_{v}"',
                f"let gs_{v} = vdb(vout_{v}_sv)", f'echo "RESULT {v}.gain_sv_db $&gs_{v}"']
    ctl.append("ac lin 1 1k 1k")
    for v in variants:
        ctl += [f"let c_{v} = -vdb(vout_{v}_cm)", f'echo "RESULT {v}.cmrr_db $&c_{v}"',
                f"let p_{v} = -vdb(vout_{v}_ps)", f'echo "RESULT {v}.psrr_db $&p_{v}"']
    return "\n".join(lines + [".temp 27", ".control"] + ctl + [".endc", ".end"]) + "\n"


def bias_deck(s, biases, header):
    """Every device alone at given terminal voltages, 7 copies (nominal, gate/drain/bulk +-DELTA).
    biases: {(cfg, device): {d, g, s, b volts}}."""
    lines = ["* diagnose-circuit same-bias " + s["name"]] + header
    ctl = ["op"]
    devs = {d["name"]: d for d in devices(s)}
    steps = [("0", None, 0)] + [(f"{t}{'p' if sg > 0 else 'm'}", t, sg) for t in "gdb" for sg in (1, -1)]
    for (cfg, name), v in biases.items():
        d = devs[name]
        inst = d["line"].split(" ", 5)[5]  # cell and instance parameters
        for tag, term, sg in steps:
            c = f"{cfg}_{name}_{tag}"
            for t in "dgsb":
                x = v[t] + (sg * DELTA if t == term else 0.0)
                lines.append(f"V{t}_{c} {t}_{c} 0 {x:.9f}")
            lines.append(f"X{c} d_{c} g_{c} s_{c} b_{c} {inst}")
        # echo prints 6 digits: the differences are taken inside the simulator, in double precision.
        k = f"{cfg}_{name}"
        ctl += [f"let i_{k}_0 = -i(vd_{k}_0)", f'echo "RESULT {k}_0 $&i_{k}_0"']
        for t in "gdb":
            ctl += [f"let i_{k}_{t} = i(vd_{k}_{t}m) - i(vd_{k}_{t}p)", f'echo "RESULT {k}_{t} $&i_{k}_{t}"']
    return "\n".join(lines + [".temp 27", ".control"] + ctl + [".endc", ".end"]) + "\n"


def run(cmd, text, work, name):
    path = os.path.join(work, name + ".cir")
    with open(path, "w") as f:
        f.write(text)
    try:
        out = subprocess.run(cmd + [path], capture_output=True, text=True, cwd=work, timeout=600)
        log = out.stdout + out.stderr
    except subprocess.TimeoutExpired:
        log = "timeout"
    return cc.parse(log), log


NGSPICE = ["flock", "/tmp/ngspice.lock", "nice", "-n", "10", "ngspice", "-b"]


def same_bias(res):
    """Id, gm, gds, gmbs per (cfg, device) from the 7-copy results."""
    out = {}
    keys = {k.rsplit("_", 1)[0] for k in res if re.match(r"(ol|cm)_", k)}
    for k in keys:
        g = lambda t: res.get(f"{k}_{t}")
        if any(g(t) is None for t in "0gdb"):
            continue
        out[k] = dict(id=g("0"), gm=g("g") / (2 * DELTA), gds=g("d") / (2 * DELTA), gmbs=g("b") / (2 * DELTA))
    return out


# ---------------------------------------------------------------- analysis

def pct(ours, ref):
    if ours is None or ref is None or ref == 0:
        return None
    return (ours / ref - 1) * 100


def region(sb, vth, vdsat, vgs, vds):
    gmid = abs(sb["gm"] / sb["id"]) if sb["id"] else 0
    inv = "wi" if gmid > 20 else ("mi" if gmid > 10 else "si")
    sat = "" if vdsat is None or vds is None else ("" if abs(vds) > abs(vdsat) + 0.05 else " lin")
    return f"{inv}{sat}", gmid


def median(xs):
    xs = sorted(x for x in xs if x is not None and math.isfinite(x))
    if not xs:
        return float("nan")
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def fmt(x, spec=".3g"):
    return "n/a" if x is None else format(x, spec)


def diagnose(s, corner, a, lib, work):
    header_f = [f'.lib "{lib}" {corner}']
    header_m = [f'.lib "{os.path.abspath(a.cards)}" {corner}']
    ours_lib = ours_library(os.path.abspath(a.cards), corner, work)
    header_h = header_f + [f'.include "{ours_lib}"']
    names = [d["name"] for d in devices(s)]
    variants = {"F": set(), "O": set(names)}
    groups = {g: GROUPS[g] for g in (a.swaps.split(",") if a.swaps not in ("all", "none") else
                                     (GROUPS if a.swaps == "all" else []))}
    for g, ms in groups.items():
        variants["+" + g] = set(ms)
        variants["-" + g] = set(names) - set(ms)
    vname = lambda v: v.replace("+", "p_").replace("-", "m_")
    vs = {vname(v): ms for v, ms in variants.items()}
    tag = f"{s['name']}_{corner}"
    ng, ng_log = run(NGSPICE, circuit_deck(s, vs, header_h, True, {"F"}), work, tag + "_ng")
    mi, mi_log = run([a.miller, "sim"], circuit_deck(s, {"O": set(names)}, header_m, False, {"O"}), work, tag + "_mi")
    if "F.idc" not in ng:
        print(f"{tag}: ngspice gave no operating point\n{ng_log[-1500:]}", file=sys.stderr)
        return None
    if "O.idc" not in mi:
        print(f"{tag}: miller sim gave no operating point\n{mi_log[-1500:]}", file=sys.stderr)
    # Same bias: the foundry run's terminal voltages.
    devs = devices(s)
    biases = {}
    for cfg in ("ol", "cm"):
        # Ports at their source values; in the follower Vinn is Vout.
        fixed = {"vss": 0.0, "vdd": VDD, "vinp": VCM, "vinn": VCM if cfg == "ol" else ng.get(f"F.{cfg}.vout")}
        volt = lambda n: fixed[n] if n in fixed else ng.get(f"F.{cfg}.{n}")
        for d in devs:
            biases[(cfg, d["name"])] = {t: volt(d[t]) for t in "dgsb"}
    if any(v is None for b in biases.values() for v in b.values()):
        print(f"{tag}: missing foundry node voltages", file=sys.stderr)
        return None
    bf, _ = run(NGSPICE, bias_deck(s, biases, header_f), work, tag + "_bf")
    bo, bo_log = run([a.miller, "sim"], bias_deck(s, biases, header_m), work, tag + "_bo")
    sf, so = same_bias(bf), same_bias(bo)
    rows = []
    for cfg in ("ol", "cm"):
        for d in devs:
            k = f"{cfg}_{d['name']}"
            if k not in sf or k not in so:
                continue
            g = lambda src, q: src.get(f"{'F' if src is ng else 'O'}.{cfg}.{d['name']}.{q}")
            b = biases[(cfg, d["name"])]
            sgn = 1 if d["kind"] == "n" else -1
            vgs, vds = sgn * (b["g"] - b["s"]), sgn * (b["d"] - b["s"])
            reg, gmid = region(sf[k], g(ng, "vth"), g(ng, "vdsat"), vgs, vds)
            rows.append(dict(cfg=cfg, dev=d["name"], kind=d["kind"], w=d["w"], l=d["l"], vgs=vgs, vds=vds,
                             vbs=sgn * (b["b"] - b["s"]), region=reg, gmid=gmid, foundry=sf[k], ours=so[k],
                             err={q: pct(so[k][q], sf[k][q]) for q in ("id", "gm", "gds", "gmbs")},
                             circuit=dict(id_f=g(ng, "id"), id_o=g(mi, "id"))))
    return dict(sizing=s["name"], corner=corner, ng=ng, mi=mi, rows=rows, variants=sorted(vs))


def report(r, s, out):
    p = lambda *x: print(*x, file=out)
    ng, mi = r["ng"], r["mi"]
    geo = "  ".join(f"{d['name']} {d['w']:g}/{d['l']:g}" + (f"x{d['nf']}" if d["nf"] > 1 else "") for d in devices(s))
    p(f"\n## {s['name']} {r['corner']}  ({geo}; W total/L um x fingers; R2 {s['r2']:g}k K {s['k']})")
    p("\nnode voltages (V): foundry / miller / ngspice-on-ours")
    p("| cfg | " + " | ".join(NODES) + " |")
    p("|---|" + "---|" * len(NODES))
    for cfg in ("ol", "cm"):
        p(f"| {cfg} | " + " | ".join(f"{fmt(ng.get(f'F.{cfg}.{n}'), '.4f')} / {fmt(mi.get(f'O.{cfg}.{n}'), '.4f')}"
                                     f" / {fmt(ng.get(f'O.{cfg}.{n}'), '.4f')}" for n in NODES) + " |")
    p("\n| metric | foundry | miller | ngspice-ours |")
    p("|---|---|---|---|")
    for m, scale in (("idc", 1e6), ("idc_fb", 1e6), ("gain_db", 1), ("gain_sv_db", 1), ("cmrr_db", 1), ("psrr_db", 1)):
        f = lambda x: fmt(None if x is None else x * scale, ".4g")
        p(f"| {m} | {f(ng.get('F.' + m))} | {f(mi.get('O.' + m))} | {f(ng.get('O.' + m))} |")
    p("\nsame bias (foundry circuit's terminal voltages): ours vs foundry, terminal quantities by ±1 mV differences")
    p("| cfg | dev | W/L | region gm/Id | Vgs Vds Vbs | Id foundry A | Id err % | gm err % | gds err % | gmbs err % | circuit Id F / ours A |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    for x in r["rows"]:
        e = x["err"]
        p(f"| {x['cfg']} | {x['dev']} | {x['w']:g}/{x['l']:g} | {x['region']} {x['gmid']:.1f} | {x['vgs']:.3f} {x['vds']:.3f} {x['vbs']:.3f} "
          f"| {x['foundry']['id']:.3e} | {fmt(e['id'], '+.1f')} | {fmt(e['gm'], '+.1f')} | {fmt(e['gds'], '+.1f')} | {fmt(e['gmbs'], '+.1f')} "
          f"| {fmt(x['circuit']['id_f'], '.3e')} / {fmt(x['circuit']['id_o'], '.3e')} |")
    p("\nswaps (ngspice): foundry everywhere but +group on ours / ours everywhere but -group on foundry")
    p("| variant | Idc err % | Vout ol V | follower offset mV | gain dB err | servo gain dB err | CMRR dB err | PSRR dB err |")
    p("|---|---|---|---|---|---|---|---|")
    F = lambda m: ng.get("F." + m)
    for v in ["F", "O"] + [x for x in r["variants"] if x not in ("F", "O")]:
        g = lambda m: ng.get(f"{v}.{m}")
        d = lambda m: None if g(m) is None or F(m) is None else g(m) - F(m)
        off = None if g("cm.vout") is None else (g("cm.vout") - VCM) * 1e3
        p(f"| {v.replace('p_', '+').replace('m_', '-')} | {fmt(pct(g('idc'), F('idc')), '+.2f')} | {fmt(g('ol.vout'), '.3f')} | {fmt(off, '+.3f')} "
          f"| {fmt(d('gain_db'), '+.2f')} | {fmt(d('gain_sv_db'), '+.2f')} | {fmt(d('cmrr_db'), '+.2f')} | {fmt(d('psrr_db'), '+.2f')} |")


def summary(results, out):
    p = lambda *x: print(*x, file=out)
    p("\n# Summary over sizings")
    p("\nsame bias, by device (median over sizings of the signed error %, and of |error|)")
    p("| cfg | dev | W/L range | region (count) | Id err % med (|med|) | gm err % | gds err % | gmbs err % |")
    p("|---|---|---|---|---|---|---|---|")
    for cfg in ("ol", "cm"):
        for dev in ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M10", "M11", "M8", "M9", "M12", "M13", "MS1", "MS2"]:
            xs = [x for r in results for x in r["rows"] if x["cfg"] == cfg and x["dev"] == dev]
            if not xs:
                continue
            regs = {}
            for x in xs:
                regs[x["region"]] = regs.get(x["region"], 0) + 1
            ws = sorted({x["w"] for x in xs}); ls = sorted({x["l"] for x in xs})
            geo = f"{ws[0]:g}-{ws[-1]:g}/{ls[0]:g}-{ls[-1]:g}" if len(ws) + len(ls) > 2 else f"{ws[0]:g}/{ls[0]:g}"
            cell = lambda q: f"{median([x['err'][q] for x in xs]):+.1f} ({median([abs(x['err'][q]) for x in xs if x['err'][q] is not None]):.1f})"
            p(f"| {cfg} | {dev} | {geo} | {' '.join(f'{k}:{v}' for k, v in sorted(regs.items()))} | {cell('id')} | {cell('gm')} | {cell('gds')} | {cell('gmbs')} |")
    p("\nswaps (median over sizings of |variant − foundry|; offset is the follower's Vout − 0.9 V; 'miller' is"
      " `miller sim` on our cards, O ngspice on our cards, +g foundry but g on ours, -g ours but g on foundry)")
    p("| variant | Idc % | follower Idc % | ol Vout−0.9 V | offset mV | gain dB | servo gain dB | CMRR dB | PSRR dB | n |")
    p("|---|---|---|---|---|---|---|---|---|---|")
    variants = results[0]["variants"]
    for v in ["F", "miller", "O"] + [x for x in variants if x not in ("F", "O")]:
        cols = {k: [] for k in ("idc", "idcfb", "vout", "off", "gain", "gainsv", "cmrr", "psrr")}
        for r in results:
            ng = r["ng"]
            g = (lambda m: r["mi"].get(f"O.{m}")) if v == "miller" else (lambda m: ng.get(f"{v}.{m}"))
            F = lambda m: ng.get("F." + m)
            e = pct(g("idc"), F("idc"))
            cols["idc"].append(None if e is None else abs(e))
            e = pct(g("idc_fb"), F("idc_fb"))
            cols["idcfb"].append(None if e is None else abs(e))
            cols["vout"].append(None if g("ol.vout") is None else abs(g("ol.vout") - VCM))
            cols["off"].append(None if g("cm.vout") is None or F("cm.vout") is None else abs(g("cm.vout") - F("cm.vout")) * 1e3)
            for m, k in (("gain_db", "gain"), ("gain_sv_db", "gainsv"), ("cmrr_db", "cmrr"), ("psrr_db", "psrr")):
                cols[k].append(None if g(m) is None or F(m) is None else abs(g(m) - F(m)))
        p(f"| {v.replace('p_', '+').replace('m_', '-')} | {median(cols['idc']):.2f} | {median(cols['idcfb']):.2f} | {median(cols['vout']):.3f} | {median(cols['off']):.3f} "
          f"| {median(cols['gain']):.2f} | {median(cols['gainsv']):.2f} | {median(cols['cmrr']):.2f} | {median(cols['psrr']):.2f} | {sum(x is not None for x in cols['idc'])} |")
    # Current ratios that set the bias and the output level, at the foundry's bias: a mirror copies with our
    # cards' error ratio (1 + e_out)/(1 + e_in) - 1; the second stage balances when I6/I4 matches 2 I7/I5.
    p("\nmirror-ratio errors at the foundry's bias (open loop), from the same-bias Id errors, % (median, p90 of |x|)")
    p("| ratio | devices | median % | median abs % | p90 abs % |")
    p("|---|---|---|---|---|")
    pairs = [("I9/I8 (beta multiplier mirror)", "M9", "M8"), ("I10/I8 (reference to M11)", "M10", "M8"),
             ("I5/I11 (tail mirror)", "M5", "M11"), ("I7/I11 (second-stage mirror)", "M7", "M11"),
             ("I7/I5", "M7", "M5"), ("I6/I4 (PMOS, same L, W6/W4 = 2-10)", "M6", "M4"), ("I4/I3 (load mirror)", "M4", "M3")]
    for label, a, b in pairs + [("imbalance (I6/I4)/(I7/I5) - 1: moves Vout", None, None)]:
        xs = []
        for r in results:
            e = {x["dev"]: x["err"]["id"] for x in r["rows"] if x["cfg"] == "ol"}
            ratio = lambda u, v: None if e.get(u) is None or e.get(v) is None else ((1 + e[u] / 100) / (1 + e[v] / 100) - 1) * 100
            if a:
                xs.append(ratio(a, b))
            else:
                r64, r75 = ratio("M6", "M4"), ratio("M7", "M5")
                xs.append(None if r64 is None or r75 is None else ((1 + r64 / 100) / (1 + r75 / 100) - 1) * 100)
        ab = sorted(abs(x) for x in xs if x is not None)
        p90 = ab[min(len(ab) - 1, int(0.9 * len(ab)))] if ab else float("nan")
        p(f"| {label} | {a or ''}{'/' + b if b else ''} | {median(xs):+.1f} | {median([abs(x) for x in xs if x is not None]):.1f} | {p90:.1f} |")
    # Miller against ngspice on the same cards: the swaps stand for Miller only where these agree.
    dv = [abs(r["mi"].get("O.idc", float("nan")) / r["ng"].get("O.idc", float("nan")) - 1) * 100 for r in results
          if r["mi"].get("O.idc") and r["ng"].get("O.idc")]
    p(f"\nmiller vs ngspice on our cards: Idc median |diff| {median(dv):.4f} % over {len(dv)} sizings")


# ---------------------------------------------------------------- error map

MAP_W = [0.42, 0.7, 1, 1.5, 2, 3, 4, 5, 7, 10, 14, 20, 30, 50, 80, 100, 160, 300]
MAP_L = [0.15, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 8]
# (|Vgs|, |Vds|, Vbs as nfet sign) where the op-amps put their devices.
MAP_BIAS = {"n": [(0.45, 0.9, 0.0), (0.6, 0.9, 0.0), (0.8, 0.9, 0.0), (0.6, 0.2, 0.0), (0.6, 0.9, -0.3), (0.6, 0.9, -0.6)],
            "p": [(0.8, 0.9, 0.0), (1.0, 0.9, 0.0), (1.3, 0.9, 0.0), (1.0, 0.3, 0.0)]}


def map_deck(kind, header, ours):
    """One instance per W x L x bias (nominal, drain +-DELTA) on shared gate/source/bulk nodes per bias."""
    cell = "sky130_fd_pr__%sfet_01v8" % kind
    sg = 1 if kind == "n" else -1
    vs = 0.0 if kind == "n" else VDD
    lines = ["* diagnose-circuit map " + kind] + header
    ctl = ["op"]
    for bi, (vgs, vds, vbs) in enumerate(MAP_BIAS[kind]):
        lines += [f"Vg{bi} g{bi} 0 {vs + sg * vgs:.6f}", f"Vb{bi} b{bi} 0 {vs + sg * vbs:.6f}", f"Vs{bi} s{bi} 0 {vs:.6f}"]
        for wi, w in enumerate(MAP_W):
            for li, l in enumerate(MAP_L):
                for tag, dv in (("0", 0.0), ("p", DELTA), ("m", -DELTA)):
                    c = f"{bi}_{wi}_{li}_{tag}"
                    lines += [f"Vd{c} d{c} 0 {vs + sg * (vds + dv):.6f}",
                              f"X{c} d{c} g{bi} s{bi} b{bi} {cell} L={l:g} W={w:g} nf=1"]
                c = f"{bi}_{wi}_{li}"
                ctl += [f"let i{c}_0 = -i(vd{c}_0)", f'echo "RESULT {c}_0 $&i{c}_0"',
                        f"let i{c}_d = i(vd{c}_m) - i(vd{c}_p)", f'echo "RESULT {c}_d $&i{c}_d"']
    return "\n".join(lines + [".temp 27", ".control"] + ctl + [".endc", ".end"]) + "\n"


def error_map(kind, corner, a, lib, work, out):
    """Id and gds of our cards over a dense W x L grid (fitted W: 0.42 1.5 5 20 100) against the foundry."""
    p = lambda *x: print(*x, file=out)
    f, _ = run(NGSPICE, map_deck(kind, [f'.lib "{lib}" {corner}'], False), work, f"map_{kind}_f")
    o, _ = run([a.miller, "sim"], map_deck(kind, [f'.lib "{os.path.abspath(a.cards)}" {corner}'], True), work, f"map_{kind}_o")
    p(f"\n# {kind}fet_01v8 {corner}: ours / foundry - 1 in % at the same bias (rows L um, columns W um; fitted W 0.42 1.5 5 20 100)")
    data = {}
    for bi, (vgs, vds, vbs) in enumerate(MAP_BIAS[kind]):
        for q in ("id", "gds"):
            p(f"\n{q}, |Vgs| {vgs} |Vds| {vds} Vbs {vbs:+g}\n")
            p("| L \\ W | " + " | ".join(f"{w:g}" for w in MAP_W) + " |")
            p("|---|" + "---|" * len(MAP_W))
            for li, l in enumerate(MAP_L):
                cells = []
                for wi, w in enumerate(MAP_W):
                    c = f"{bi}_{wi}_{li}"
                    if q == "id":
                        x, y = o.get(c + "_0"), f.get(c + "_0")
                    else:
                        x, y = o.get(c + "_d"), f.get(c + "_d")
                    e = pct(x, y)
                    data[(kind, bi, q, l, w)] = e
                    cells.append("n/a" if e is None else (f"{e:+.0f}" if abs(e) < 1000 else f"{(x / y):.0f}x"))
                p(f"| {l:g} | " + " | ".join(cells) + " |")
    return data


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizings", help="comma-separated names (s01,...); default: the first --count")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--corner", default="tt")
    ap.add_argument("--miller", default=os.path.join(ROOT, ".build", "release", "miller"))
    ap.add_argument("--cards", default=os.path.join(ROOT, "pdk", "sky130", "sky130.lib.spice"))
    ap.add_argument("--reference", default=os.path.join(ROOT, "pdk", "sky130", "data", "circuits-ngspice.json"),
                    help="compare-circuits' cache, for the M6 trims")
    ap.add_argument("--models")
    ap.add_argument("--json")
    ap.add_argument("--out", help="write the tables here instead of stdout")
    ap.add_argument("--quiet", action="store_true", help="only the summary")
    ap.add_argument("--swaps", default="all", help="all, none, or groups among " + ",".join(GROUPS))
    ap.add_argument("--snap", action="store_true", help="put every device on the fitted W x L grid (fingers)")
    ap.add_argument("--from-json", help="no runs: print the summary of a previous --json")
    ap.add_argument("--map", help="n, p or n,p: instead of circuits, an Id/gds error map over a dense W x L grid")
    a = ap.parse_args()
    if a.from_json:
        summary(json.load(open(a.from_json)), sys.stdout)
        return
    a.miller = os.path.abspath(a.miller)
    if not os.path.exists(a.miller):
        sys.exit(f"diagnose-circuit: {a.miller} not built (swift build -c release --product miller)")
    designs = cc.sizings(max(a.count, 20))
    trims = json.load(open(a.reference)).get("trim", {}) if os.path.exists(a.reference) else {}
    key = lambda s: __import__("hashlib").sha1((cc.subckt(s) + "trim").encode()).hexdigest()[:16]
    for s in designs:
        k = key(s)
        if k not in trims:
            sys.exit(f"diagnose-circuit: no M6 trim for {s['name']} in {a.reference} (run compare-circuits.py first)")
        s["w6"] = trims[k]["w6"]
    pick = a.sizings.split(",") if a.sizings else [s["name"] for s in designs[:a.count]]
    designs = [s for s in designs if s["name"] in pick]
    if a.snap:
        designs = [snap(s) for s in designs]
    out = open(a.out, "w") if a.out else sys.stdout
    results = []
    with tempfile.TemporaryDirectory(prefix="miller-diag-") as work:
        with open(os.path.join(work, ".spiceinit"), "w") as f:
            f.write("set ngbehavior=hsa\nset ng_nomodcheck\nset num_threads=1\n")
        lib = signoff.cut_library(signoff.find_models(a.models), work)
        if a.map:
            for kind in a.map.split(","):
                error_map(kind, a.corner, a, lib, work, out)
            return
        for s in designs:
            r = diagnose(s, a.corner, a, lib, work)
            if r is None:
                continue
            results.append(r)
            if not a.quiet:
                report(r, s, out)
                out.flush()
            print(f"  {s['name']} {a.corner} done", file=sys.stderr, flush=True)
    if results:
        summary(results, out)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
