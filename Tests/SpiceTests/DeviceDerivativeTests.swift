import XCTest
import Spice
import TestSupport

/// Small-signal quantities the devices report must be the derivatives of their own currents: each is
/// checked against a central finite difference of DC sweeps through the public API.
final class DeviceDerivativeTests: XCTestCase {
    /// Central difference of `i(source)` with respect to the swept source.
    private func slope(_ deck: Deck, sweep source: String, at value: Double, current: String, step: Double = 1e-4) throws -> Double {
        let sim = try Simulator(deck: deck)
        let plot = try sim.dcSweep([DCSweep(source: source, values: [value - step, value + step])])
        return (point(plot, current, 1) - point(plot, current, 0)) / (2 * step)
    }

    func testDiodeConductanceIsCurrentDerivative() throws {
        for (vd, params) in [(0.6, ["is": 1e-14, "n": 1.2]), (-5.0, ["is": 1e-12, "bv": 4.5, "ibv": 1e-6]), (0.75, ["is": 1e-15])] {
            var b = DeckBuilder()
            b.v("vd", "a", "0", vd)
            b.add("d1", ["a", "0"], .diode(model: "dm", area: 1, off: false))
            b.model("dm", "d", params)
            b.deck.options.reltol = 1e-9
            let sim = try Simulator(deck: b.deck)
            _ = try sim.operatingPoint()
            let gd = try XCTUnwrap(sim.deviceParameter("d1", "gd"))
            // i(vd) flows into the source's + terminal, so it is minus the diode current.
            let numeric = -(try slope(b.deck, sweep: "vd", at: vd, current: "i(vd)", step: 1e-5))
            assertClose(gd, numeric, relative: 1e-4, absolute: 1e-15, "gd at vd=\(vd) \(params)")
        }
    }

    private func mosDeck(vgs: Double, vds: Double, vbs: Double, type: String = "nmos") -> Deck {
        var b = DeckBuilder()
        b.v("vd", "d", "0", vds)
        b.v("vg", "g", "0", vgs)
        b.v("vb", "b", "0", vbs)
        b.add("m1", ["d", "g", "0", "b"], .mosfet(model: "mm", instance: MOSInstance(w: 10e-6, l: 1e-6)))
        b.model("mm", type, ["vto": type == "nmos" ? 0.6 : -0.6, "kp": 100e-6, "gamma": 0.5, "phi": 0.7, "lambda": 0.05])
        b.deck.options.reltol = 1e-9
        return b.deck
    }

    func testMOSFETConductancesAreCurrentDerivatives() throws {
        // Saturation, triode and reverse (vds < 0) operation, NMOS and PMOS. Junctions stay reverse biased:
        // with vbs > 0 ngspice (and so Miller) keeps gmbs = γ/(2·sarg), not the exact derivative.
        let points: [(String, Double, Double, Double)] = [
            ("nmos", 1.5, 2.0, -0.3), ("nmos", 2.0, 0.3, 0), ("nmos", 1.8, -0.4, -0.6),
            ("pmos", -1.5, -2.0, 0.3), ("pmos", -2.0, -0.3, 0),
        ]
        for (type, vgs, vds, vbs) in points {
            let deck = mosDeck(vgs: vgs, vds: vds, vbs: vbs, type: type)
            let sim = try Simulator(deck: deck)
            _ = try sim.operatingPoint()
            let gm = try XCTUnwrap(sim.deviceParameter("m1", "gm"))
            let gds = try XCTUnwrap(sim.deviceParameter("m1", "gds"))
            let gmbs = try XCTUnwrap(sim.deviceParameter("m1", "gmbs"))
            // i(vd) is minus the drain current; the drain current's derivatives w.r.t. vg, vd, vb.
            let dIdVg = -(try slope(deck, sweep: "vg", at: vgs, current: "i(vd)"))
            let dIdVd = -(try slope(deck, sweep: "vd", at: vds, current: "i(vd)"))
            let dIdVb = -(try slope(deck, sweep: "vb", at: vbs, current: "i(vd)"))
            let what = "\(type) vgs=\(vgs) vds=\(vds) vbs=\(vbs)"
            if vds >= 0 || type == "pmos" {
                assertClose(gm, dIdVg, relative: 1e-4, absolute: 1e-10, "gm \(what)")
                assertClose(gmbs, dIdVb, relative: 1e-4, absolute: 1e-10, "gmbs \(what)")
                assertClose(gds, dIdVd, relative: 1e-4, absolute: 1e-10, "gds \(what)")
            } else {
                // Reversed: the device's source is the circuit's drain; the total drain slope is
                // gds + gm + gmbs (gate, bulk fixed relative to ground, source side moving).
                assertClose(gds + gm + gmbs, dIdVd, relative: 1e-4, absolute: 1e-10, "reverse gds+gm+gmbs \(what)")
            }
        }
    }

    func testMOSFETSaturationMatchesSquareLaw() throws {
        // No body effect, λ = 0.05: Id = kp/2 · W/L · (vgs − vto)² · (1 + λ·vds).
        let deck = mosDeck(vgs: 1.6, vds: 2.0, vbs: 0)
        let sim = try Simulator(deck: deck)
        let op = try sim.operatingPoint()
        let expected = 100e-6 / 2 * 10 * 1.0 * 1.0 * (1 + 0.05 * 2.0)
        assertClose(-value(op, "i(vd)"), expected, relative: 1e-6, absolute: 1e-12, "saturation Id")
        assertClose(sim.deviceParameter("m1", "vdsat") ?? .nan, 1.0, relative: 1e-9, absolute: 0, "vdsat")
        // Triode: Id = kp·W/L·(vgst − vds/2)·vds·(1 + λ·vds).
        let triode = try Simulator(deck: mosDeck(vgs: 1.6, vds: 0.2, vbs: 0)).operatingPoint()
        assertClose(-value(triode, "i(vd)"), 100e-6 * 10 * (1.0 - 0.1) * 0.2 * (1 + 0.05 * 0.2), relative: 1e-6,
                    absolute: 1e-12, "triode Id")
    }
}
