#!/usr/bin/env python3
"""Writes the BSIM-lite golden decks (Tests/SpiceTests/Goldens/bsim/*.cir, *.inc) from four process
cards of our own (1 um, 0.35 um, 0.18 um and 0.13 um class, nmos and pmos), using only the parameters
BSIM-lite supports. Run it, then scripts/goldens/regenerate.sh to make the ngspice references."""
import os

HERE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SpiceTests", "Goldens", "bsim")

COMMON = ("mobmod=1 capmod=2 noimod=1 tnom=27 a1=0 a2=1 wr=1 cit=0 cdscb=0 ckappa=0.6 cle=0.6 xpart=0 "
          "ute=-1.5 ua1=4.3e-9 ub1=-7.6e-18 uc1=-5.6e-11 kt2=0.022 nj=1 xti=3 mj=0.4 mjsw=0.25 mjswg=0.3 "
          "pb=0.85 pbsw=0.8 pbswg=0.8")

# name: (lmin, wmin, vdd, nmos card, pmos card)
PROCESSES = {
    "p10": (1e-6, 2e-6, 5.0,
            "tox=2e-8 xj=3e-7 nch=8e16 vth0=0.75 k1=0.95 k2=-0.05 k3=20 k3b=-2 w0=2.5e-6 nlx=1.2e-7 "
            "dvt0=2.0 dvt1=0.5 dvt2=-0.03 dvt0w=0 dvt1w=5.3e6 dvt2w=-0.032 u0=550 ua=1.8e-9 ub=9e-19 uc=-3e-11 "
            "vsat=9e4 a0=0.9 ags=0.1 b0=5e-8 b1=0 keta=-0.02 rdsw=1200 prwg=0 prwb=0 wint=1e-7 lint=1e-7 "
            "voff=-0.1 nfactor=1.0 cdsc=2.4e-4 cdscd=0 eta0=0.02 etab=-0.02 dsub=0.6 pclm=1.8 pdiblc1=0.1 "
            "pdiblc2=0.004 pdiblcb=0 drout=0.6 pscbe1=5e8 pscbe2=5e-6 pvag=0.5 delta=0.01 kt1=-0.25 kt1l=0 "
            "at=3.3e4 prt=0 cgso=3e-10 cgdo=3e-10 cgbo=2e-10 cgsl=0 cgdl=0 cf=0 clc=1e-7 "
            "cj=4e-4 cjsw=3e-10 cjswg=3e-10 js=1e-5 jsw=1e-10",
            "tox=2e-8 xj=3e-7 nch=5e16 vth0=-0.85 k1=0.8 k2=-0.03 k3=15 k3b=-1 w0=2.5e-6 nlx=1.5e-7 "
            "dvt0=2.5 dvt1=0.6 dvt2=-0.02 dvt0w=0 dvt1w=5.3e6 dvt2w=-0.032 u0=210 ua=2.5e-9 ub=1e-21 uc=-5e-11 "
            "vsat=1e5 a0=1.0 ags=0.1 b0=0 b1=0 keta=-0.01 rdsw=2500 prwg=0 prwb=0 wint=1e-7 lint=1.2e-7 "
            "voff=-0.1 nfactor=1.2 cdsc=2.4e-4 cdscd=0 eta0=0.03 etab=-0.03 dsub=0.7 pclm=2.0 pdiblc1=0.05 "
            "pdiblc2=0.003 pdiblcb=0 drout=0.5 pscbe1=5e8 pscbe2=5e-6 pvag=0.3 delta=0.01 kt1=-0.3 kt1l=0 "
            "at=2e4 prt=0 cgso=3e-10 cgdo=3e-10 cgbo=2e-10 cgsl=0 cgdl=0 cf=0 clc=1e-7 "
            "cj=6e-4 cjsw=3.5e-10 cjswg=3.5e-10 js=1e-5 jsw=1e-10"),
    "p035": (0.35e-6, 0.5e-6, 3.3,
             "tox=7.6e-9 xj=1.5e-7 nch=1.7e17 vth0=0.55 k1=0.6 k2=-0.02 k3=30 k3b=-3 w0=2.5e-6 nlx=1.7e-7 "
             "dvt0=2.5 dvt1=0.55 dvt2=-0.03 dvt0w=0.1 dvt1w=5.3e6 dvt2w=-0.032 u0=420 ua=2.2e-9 ub=5.8e-19 "
             "uc=-4.6e-11 vsat=1.5e5 a0=1.1 ags=0.2 b0=1e-7 b1=1e-7 keta=-0.03 rdsw=700 prwg=0.05 prwb=-0.1 "
             "wint=5e-8 lint=4e-8 voff=-0.09 nfactor=1.2 cdsc=2.4e-4 cdscd=1e-4 eta0=0.05 etab=-0.05 dsub=0.5 "
             "pclm=1.4 pdiblc1=0.3 pdiblc2=0.008 pdiblcb=-0.05 drout=0.5 pscbe1=4e8 pscbe2=1e-5 pvag=0.2 "
             "delta=0.01 kt1=-0.3 kt1l=1e-9 at=3.3e4 prt=100 lvth0=-0.01 wvth0=0.005 pvth0=0.001 lu0=-10 "
             "wk1=0.01 cgso=2e-10 cgdo=2e-10 cgbo=1e-12 cgsl=1e-10 cgdl=1e-10 cf=1e-10 clc=1e-7 "
             "cj=9e-4 cjsw=2.5e-10 cjswg=3e-10 js=1e-6 jsw=1e-11",
             "tox=7.6e-9 xj=1.5e-7 nch=9e16 vth0=-0.65 k1=0.55 k2=-0.01 k3=25 k3b=-2 w0=2.5e-6 nlx=1.5e-7 "
             "dvt0=2.8 dvt1=0.6 dvt2=-0.02 dvt0w=0.05 dvt1w=5.3e6 dvt2w=-0.032 u0=130 ua=2.8e-9 ub=1e-20 "
             "uc=-5e-11 vsat=1.1e5 a0=1.0 ags=0.25 b0=5e-8 b1=0 keta=-0.02 rdsw=1500 prwg=0.02 prwb=-0.05 "
             "wint=5e-8 lint=5e-8 voff=-0.11 nfactor=1.4 cdsc=2.4e-4 cdscd=5e-5 eta0=0.08 etab=-0.06 dsub=0.6 "
             "pclm=1.2 pdiblc1=0.2 pdiblc2=0.005 pdiblcb=-0.02 drout=0.6 pscbe1=4e8 pscbe2=1e-5 pvag=0.4 "
             "delta=0.01 kt1=-0.35 kt1l=0 at=2.5e4 prt=50 lvth0=0.01 wvth0=-0.004 lu0=5 "
             "cgso=2.2e-10 cgdo=2.2e-10 cgbo=1e-12 cgsl=8e-11 cgdl=8e-11 cf=1e-10 clc=1e-7 "
             "cj=1.1e-3 cjsw=3e-10 cjswg=3.5e-10 js=1e-6 jsw=1e-11"),
    "p018": (0.18e-6, 0.24e-6, 1.8,
             "tox=4.1e-9 xj=1e-7 nch=2.3e17 vth0=0.42 k1=0.58 k2=0.002 k3=1e-3 k3b=2 w0=1e-7 nlx=1.7e-7 "
             "dvt0=1.3 dvt1=0.4 dvt2=0.05 dvt0w=0 dvt1w=0 dvt2w=0 u0=270 ua=-1.2e-9 ub=2.3e-18 uc=5e-11 "
             "vsat=9e4 a0=1.9 ags=0.42 b0=-1e-8 b1=-1e-7 keta=-0.01 rdsw=105 prwg=0.5 prwb=-0.2 "
             "wint=1e-8 lint=1.4e-8 voff=-0.09 nfactor=2.2 cdsc=2.4e-4 cdscd=0 eta0=3e-3 etab=1e-5 dsub=0.02 "
             "pclm=0.7 pdiblc1=0.18 pdiblc2=2e-3 pdiblcb=-0.1 drout=0.77 pscbe1=7.9e9 pscbe2=3.6e-8 pvag=1e-6 "
             "delta=0.01 kt1=-0.22 kt1l=0 at=3.3e4 prt=0 cgso=7.9e-10 cgdo=7.9e-10 cgbo=1e-12 cgsl=0 cgdl=0 "
             "cf=0 clc=1e-7 cj=9.6e-4 cjsw=2.5e-10 cjswg=3.3e-10 js=1e-6 jsw=1e-11",
             "tox=4.1e-9 xj=1e-7 nch=4.1e17 vth0=-0.40 k1=0.56 k2=0.03 k3=0 k3b=11 w0=1e-6 nlx=1.2e-7 "
             "dvt0=0.5 dvt1=0.25 dvt2=0.1 dvt0w=0 dvt1w=0 dvt2w=0 u0=110 ua=1.4e-9 ub=2.3e-21 uc=-1e-10 "
             "vsat=1.1e5 a0=1.6 ags=0.37 b0=4.5e-7 b1=1.6e-6 keta=0.02 rdsw=280 prwg=0.48 prwb=-0.1 "
             "wint=0 lint=2.6e-8 voff=-0.1 nfactor=2.0 cdsc=2.4e-4 cdscd=0 eta0=0.14 etab=-0.06 dsub=1.2 "
             "pclm=1.3 pdiblc1=2e-3 pdiblc2=5e-3 pdiblcb=-1e-3 drout=0 pscbe1=4.7e9 pscbe2=5e-10 pvag=0.02 "
             "delta=0.01 kt1=-0.2 kt1l=0 at=3.3e4 prt=0 cgso=6.5e-10 cgdo=6.5e-10 cgbo=1e-12 cgsl=0 cgdl=0 "
             "cf=0 clc=1e-7 cj=1.2e-3 cjsw=2.2e-10 cjswg=4.2e-10 js=1e-6 jsw=1e-11"),
    "p013": (0.13e-6, 0.16e-6, 1.2,
             "tox=2.5e-9 xj=7e-8 nch=3.5e17 vth0=0.33 k1=0.45 k2=0.01 k3=5 k3b=1 w0=5e-7 nlx=2e-7 "
             "dvt0=1.0 dvt1=0.45 dvt2=0.02 dvt0w=0.2 dvt1w=4e6 dvt2w=-0.02 u0=240 ua=-1e-9 ub=2e-18 uc=3e-11 "
             "vsat=1e5 a0=1.5 ags=0.3 b0=1e-8 b1=0 keta=-0.02 rdsw=150 prwg=0.3 prwb=-0.1 "
             "wint=5e-9 lint=1e-8 voff=-0.1 nfactor=1.8 cdsc=3e-4 cdscd=1e-4 eta0=0.01 etab=-0.01 dsub=0.3 "
             "pclm=0.9 pdiblc1=0.25 pdiblc2=4e-3 pdiblcb=-0.05 drout=0.6 pscbe1=6e8 pscbe2=2e-6 pvag=0.3 "
             "delta=0.01 kt1=-0.2 kt1l=0 at=5e4 prt=0 cgso=4e-10 cgdo=4e-10 cgbo=1e-12 cgsl=2e-11 cgdl=2e-11 "
             "cf=8e-11 clc=1e-7 cj=1.0e-3 cjsw=1.5e-10 cjswg=2.5e-10 js=1e-6 jsw=1e-11",
             "tox=2.5e-9 xj=7e-8 nch=3e17 vth0=-0.32 k1=0.42 k2=0.02 k3=5 k3b=1 w0=5e-7 nlx=2e-7 "
             "dvt0=1.2 dvt1=0.5 dvt2=0.02 dvt0w=0.1 dvt1w=4e6 dvt2w=-0.02 u0=90 ua=1e-9 ub=1e-19 uc=-5e-11 "
             "vsat=8e4 a0=1.3 ags=0.3 b0=0 b1=0 keta=0.01 rdsw=350 prwg=0.3 prwb=-0.05 "
             "wint=5e-9 lint=1e-8 voff=-0.11 nfactor=1.9 cdsc=3e-4 cdscd=5e-5 eta0=0.02 etab=-0.02 dsub=0.4 "
             "pclm=1.1 pdiblc1=0.1 pdiblc2=3e-3 pdiblcb=-0.02 drout=0.5 pscbe1=6e8 pscbe2=2e-6 pvag=0.5 "
             "delta=0.01 kt1=-0.22 kt1l=0 at=4e4 prt=0 cgso=3.8e-10 cgdo=3.8e-10 cgbo=1e-12 cgsl=2e-11 "
             "cgdl=2e-11 cf=8e-11 clc=1e-7 cj=1.1e-3 cjsw=1.6e-10 cjswg=2.6e-10 js=1e-6 jsw=1e-11"),
}


def wrap(text):
    words, lines, line = text.split(), [], "+"
    for w in words:
        if len(line) + len(w) > 100:
            lines.append(line); line = "+"
        line += " " + w
    lines.append(line)
    return "\n".join(lines)


def um(x):
    return f"{x * 1e6:g}u"


def instances(kind, lmin, wmin, vbneg):
    """Five instances: minimum, minimum with reverse body bias, 10x, 10x with body bias, 50x."""
    sizes = [(wmin, lmin, False), (wmin, lmin, True), (10 * wmin, 3 * lmin, False), (10 * wmin, 3 * lmin, True),
             (50 * wmin, 50 * lmin, False)]
    out = []
    for i, (w, l, biased) in enumerate(sizes, 1):
        area = w * 0.5e-6
        per = 2 * (w + 0.5e-6)
        bulk = "b1" if biased else ("0" if kind == "n" else "vdd")
        src = "0" if kind == "n" else "vdd"
        out.append(f"m{i} d{i} g {src} {bulk} {kind}mod w={um(w)} l={um(l)} ad={area:g} as={area:g} pd={per:g} ps={per:g}")
    return out


def deck(proc, kind, title, analyses, temp=None):
    lmin, wmin, vdd, _, _ = PROCESSES[proc]
    sign = 1 if kind == "n" else -1
    lines = [f"BSIM-lite golden: {proc} {kind}mos {title}",
             ".options reltol=1e-6 vntol=1e-10 abstol=1e-15", f".include {proc}.inc"]
    if temp is not None:
        lines.append(f".temp {temp}")
    lines.append(f"vdd vdd 0 {vdd:g}")
    lines.append(f"vd d 0 {vdd / 2 if kind == 'n' else vdd / 2:g}")
    lines.append("vg g 0 0")
    lines.append(f"vb1 b1 0 {-vdd / 2 if kind == 'n' else 1.5 * vdd:g}")
    for i in range(1, 6):
        lines.append(f"vm{i} d d{i} 0")
    lines += instances(kind, lmin, wmin, True)
    lines += analyses
    lines.append(".end")
    return "\n".join(lines) + "\n"


def write(name, text):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)


for proc, (lmin, wmin, vdd, ncard, pcard) in PROCESSES.items():
    write(f"{proc}.inc", f"* {proc}: BSIM3v3.3 subset cards of our own\n"
          f".model nmod nmos level=8 version=3.3 {COMMON}\n{wrap(ncard)}\n"
          f".model pmod pmos level=8 version=3.3 {COMMON}\n{wrap(pcard)}\n")
    step = vdd / 30
    for kind in "np":
        if kind == "n":
            idvg = f".dc vg 0 {vdd:g} {step:.4g} vd {vdd / 40:.4g} {vdd:g} {vdd - vdd / 40:.4g}"
            idvd = f".dc vd 0 {vdd:g} {vdd / 20:.4g} vg {vdd / 4:.4g} {vdd:g} {vdd / 4:.4g}"
        else:
            idvg = f".dc vg {vdd:g} 0 {-step:.4g} vd {vdd - vdd / 40:.4g} 0 {-(vdd - vdd / 40):.4g}"
            idvd = f".dc vd {vdd:g} 0 {-vdd / 20:.4g} vg {vdd * 3 / 4:.4g} 0 {-vdd / 4:.4g}"
        write(f"{proc}_{kind}_iv.cir", deck(proc, kind, "Id-Vgs (linear and saturation) and Id-Vds, 27C", [idvg, idvd]))
        tsweep = (f".dc vg 0 {vdd:g} {2 * step:.4g} temp -40 125 165" if kind == "n"
                  else f".dc vg {vdd:g} 0 {-2 * step:.4g} temp -40 125 165")
        write(f"{proc}_{kind}_temp.cir", deck(proc, kind, "Id-Vgs in saturation at -40C and 125C", [tsweep]))

# Operating point: nmos and pmos biased in saturation with body bias; small-signal quantities saved.
OP_QUANTITIES = ["id", "gm", "gds", "gmbs", "vth", "vdsat", "cgg", "cgs", "cgd", "cbg", "cbd", "cbs", "cdg", "cdd", "cds",
                 "capbd", "capbs"]
for proc, (lmin, wmin, vdd, _, _) in PROCESSES.items():
    saves = " ".join(f"@{m}[{q}]" for m in ("m1", "m2") for q in OP_QUANTITIES)
    write(f"{proc}_op.cir", "\n".join([
        f"BSIM-lite golden: {proc} operating-point small-signal quantities",
        ".options reltol=1e-6 vntol=1e-10 abstol=1e-15", f".include {proc}.inc",
        f"vdd vdd 0 {vdd:g}", f"vgn gn 0 {0.45 * vdd:g}", f"vgp gp 0 {0.55 * vdd:g}",
        f"vbn bn 0 {-0.2 * vdd:g}", f"vbp bp 0 {1.2 * vdd:g}", f"vdn dn 0 {0.7 * vdd:g}", f"vdp dp 0 {0.3 * vdd:g}",
        f"m1 dn gn 0 bn nmod w={um(4 * wmin)} l={um(2 * lmin)} ad=1p as=1p pd={um(8 * wmin + 1e-6)} ps={um(8 * wmin + 1e-6)}",
        f"m2 dp gp vdd bp pmod w={um(8 * wmin)} l={um(2 * lmin)} ad=1p as=1p pd={um(16 * wmin + 1e-6)} ps={um(16 * wmin + 1e-6)}",
        f".save {saves}", ".op", ".end"]) + "\n")

# AC: an nmos and a pmos common-source stage with resistive loads and load capacitors, and the pmos
# with body bias; magnitude and phase from 1 kHz to 10 GHz.
for proc, (lmin, wmin, vdd, _, _) in PROCESSES.items():
    write(f"{proc}_cs_ac.cir", "\n".join([
        f"BSIM-lite golden: {proc} common-source stages, AC",
        ".options reltol=1e-6 vntol=1e-10 abstol=1e-15", f".include {proc}.inc",
        f"vdd vdd 0 {vdd:g}", f"vinn gn 0 dc {0.4 * vdd:g} ac 1", f"vinp gp 0 dc {0.6 * vdd:g} ac 1",
        f"vbp bp 0 {1.1 * vdd:g}",
        f"m1 outn gn 0 0 nmod w={um(10 * wmin)} l={um(2 * lmin)} ad=2p as=2p pd={um(20 * wmin + 1e-6)} ps={um(20 * wmin + 1e-6)}",
        "rn vdd outn 10k", "cn outn 0 50f",
        f"m2 outp gp vdd bp pmod w={um(20 * wmin)} l={um(2 * lmin)} ad=4p as=4p pd={um(40 * wmin + 1e-6)} ps={um(40 * wmin + 1e-6)}",
        "rp outp 0 10k", "cp outp 0 50f",
        ".ac dec 10 1k 10g", ".end"]) + "\n")
