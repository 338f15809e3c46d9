import XCTest
import Spice
import TestSupport

/// Diode and level-1 MOSFET circuits checked against ngspice 39 (values printed by `ngspice -b` on the
/// same circuits; the decks are in the comments).
final class DeviceGoldenTests: XCTestCase {
    /// v1 a 0 5 ac 1; r1 a b 1k; d1 b 0 dm; v2 c 0 -30; r2 c e 1k; d2 e 0 dm area=2; v3 f 0 0.3; d3 f 0 dm
    /// .model dm d is=1e-14 n=1.5 rs=10 cjo=2p tt=1n bv=20 ibv=1m; .options temp=50 tnom=25
    func diodeDeck() -> Deck {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 5, ac: 1)
        b.r("r1", "a", "b", 1e3)
        b.add("d1", ["b", "0"], .diode(model: "dm", area: 1, off: false))
        b.v("v2", "c", "0", -30)
        b.r("r2", "c", "e", 1e3)
        b.add("d2", ["e", "0"], .diode(model: "dm", area: 2, off: false))
        b.v("v3", "f", "0", 0.3)
        b.add("d3", ["f", "0"], .diode(model: "dm", area: 1, off: false))
        b.model("dm", "d", ["is": 1e-14, "n": 1.5, "rs": 10, "cjo": 2e-12, "tt": 1e-9, "bv": 20, "ibv": 1e-3])
        b.deck.options.temp = 50
        b.deck.options.tnom = 25
        return b.deck
    }

    func testDiodeForwardReverseBreakdownAgainstNgspice() throws {
        let sim = try Simulator(deck: diodeDeck())
        let op = try sim.operatingPoint()
        assertClose(value(op, "v(b)"), 1.054956e+00, relative: 2e-6, "v(b)")
        assertClose(value(op, "v(e)"), -2.01449e+01, relative: 2e-5, "v(e) (breakdown)")
        assertClose(value(op, "i(v1)"), -3.94504e-03, relative: 2e-5, "i(v1)")
        assertClose(value(op, "i(v2)"), 9.855111e-03, relative: 1e-5, "i(v2)")
        assertClose(value(op, "i(v3)"), -1.43675e-10, relative: 1e-5, "i(v3)")
        assertClose(sim.deviceParameter("d1", "gd") ?? .nan, 9.444603e-02, relative: 1e-4, "@d1[gd]")
        assertClose(sim.deviceParameter("d1", "cd") ?? .nan, 9.887357e-11, relative: 1e-4, "@d1[cd]")
        assertClose(sim.deviceParameter("d3", "cd") ?? .nan, 2.442824e-12, relative: 1e-5, "@d3[cd]")
        let ac = try sim.ac(FrequencySweep(kind: .lin, points: 1, start: 1e6, stop: 1e6))
        let vb = complexValue(ac, "v(b)", 0)
        assertClose(vb.re, 2.017230e-02, relative: 1e-4, "re v(b) at 1 MHz")
        assertClose(vb.im, -6.68611e-05, relative: 1e-3, "im v(b) at 1 MHz")
    }

    /// vdd dd 0 3; vg g 0 1.2 ac 1; vb bb 0 -0.5; m1 d g 0 bb nm w=10u l=2u ad=20p as=20p pd=24u ps=24u;
    /// rl dd d 10k; m2 d2 g2 dd dd pm w=20u l=1u; vg2 g2 0 1.5; rl2 d2 0 5k; m3 d3 g 0 0 nm w=5u l=1u;
    /// vd3 d3 0 0.1; nm: vto=0.7 kp=110u gamma=0.4 phi=0.7 lambda=0.04 rd=50 rs=20 cbd=5f cj=0.3m cjsw=0.5n
    /// cgso=0.2n cgdo=0.2n cgbo=0.1n tox=20n; pm: tox=15n nsub=1e16 u0=250 lambda=0.05 is=1e-15 js=1e-4;
    /// .options temp=40
    func mosDeck() -> Deck {
        var b = DeckBuilder()
        b.v("vdd", "dd", "0", 3)
        b.v("vg", "g", "0", 1.2, ac: 1)
        b.v("vb", "bb", "0", -0.5)
        b.add("m1", ["d", "g", "0", "bb"], .mosfet(model: "nm", instance: MOSInstance(w: 10e-6, l: 2e-6, ad: 20e-12, as: 20e-12, pd: 24e-6, ps: 24e-6)))
        b.r("rl", "dd", "d", 10e3)
        b.add("m2", ["d2", "g2", "dd", "dd"], .mosfet(model: "pm", instance: MOSInstance(w: 20e-6, l: 1e-6)))
        b.v("vg2", "g2", "0", 1.5)
        b.r("rl2", "d2", "0", 5e3)
        b.add("m3", ["d3", "g", "0", "0"], .mosfet(model: "nm", instance: MOSInstance(w: 5e-6, l: 1e-6)))
        b.v("vd3", "d3", "0", 0.1)
        b.model("nm", "nmos", ["vto": 0.7, "kp": 110e-6, "gamma": 0.4, "phi": 0.7, "lambda": 0.04, "rd": 50, "rs": 20,
                               "cbd": 5e-15, "cj": 0.3e-3, "cjsw": 0.5e-9, "cgso": 0.2e-9, "cgdo": 0.2e-9, "cgbo": 0.1e-9, "tox": 20e-9])
        b.model("pm", "pmos", ["tox": 15e-9, "nsub": 1e16, "u0": 250, "lambda": 0.05, "is": 1e-15, "js": 1e-4])
        b.deck.options.temp = 40
        return b.deck
    }

    func testMOS1AgainstNgspice() throws {
        let sim = try Simulator(deck: mosDeck())
        let op = try sim.operatingPoint()
        assertClose(value(op, "v(d)"), 2.521047e+00, relative: 2e-6, "v(d) (m1 saturated, body effect)")
        assertClose(value(op, "v(d2)"), 2.641418e+00, relative: 2e-6, "v(d2) (pmos from nsub/tox/u0)")
        assertClose(value(op, "i(vdd)"), -5.76179e-04, relative: 2e-5, "i(vdd)")
        assertClose(value(op, "i(vd3)"), -2.37922e-05, relative: 2e-5, "i(vd3) (m3 triode)")
        let expected: [(String, Double)] = [
            ("id", 4.789528e-05), ("gm", 2.332750e-04), ("gds", 1.740527e-06), ("gmbs", 4.302203e-05),
            ("von", 7.884084e-01), ("vdsat", 4.106337e-01), ("cgs", 2.502096e-14), ("cgd", 2.000000e-15),
            ("cgb", 2.000000e-16), ("cbd", 7.820206e-15), ("cbs", 1.426124e-14),
        ]
        for (name, expect) in expected {
            assertClose(sim.deviceParameter("m1", name) ?? .nan, expect, relative: 1e-5, "@m1[\(name)]")
        }
        let ac = try sim.ac(FrequencySweep(kind: .lin, points: 1, start: 1e6, stop: 1e6))
        let vd = complexValue(ac, "v(d)", 0)
        assertClose(vd.re, -2.28018e+00, relative: 1e-5, "re v(d) at 1 MHz")
        assertClose(vd.im, 1.521781e-03, relative: 1e-4, "im v(d) at 1 MHz")
    }
}
