import XCTest
import Spice
import TestSupport

final class EngineLinearTests: XCTestCase {
    func testDividerWithInductorAndCurrentSource() throws {
        // The same circuit as a hand-checked ngspice 39 run: v(out) = v(x) = 4/3 V, i(l1) = -1/3 mA.
        var b = DeckBuilder()
        b.v("v1", "in", "0", 1, ac: 1)
        b.r("r1", "in", "out", 1e3)
        b.c("c1", "out", "0", 1e-6)
        b.l("l1", "out", "x", 1e-3)
        b.r("r2", "x", "0", 2e3)
        b.i("i1", "0", "x", 1e-3)
        b.deck.analyses = [.op]
        let plots = try Simulator(deck: b.deck).run()
        XCTAssertEqual(plots.map(\.name), ["op1"])
        let op = plots[0]
        XCTAssertEqual(op.vectors.map(\.name), ["v(in)", "v(out)", "v(x)", "i(l1)", "i(v1)"])
        assertClose(value(op, "v(out)"), 4.0 / 3, "v(out)")
        assertClose(value(op, "v(x)"), 4.0 / 3, "v(x)")
        assertClose(value(op, "i(l1)"), -1.0 / 3e3, "i(l1)")
        assertClose(value(op, "i(v1)"), 1.0 / 3e3, "i(v1)")
    }

    func testControlledSources() throws {
        var b = DeckBuilder()
        b.v("vin", "in", "0", 0.5)
        b.r("rin", "in", "0", 1e3)
        b.add("e1", ["e", "0", "in", "0"], .vcvs(gain: 4))          // v(e) = 2
        b.r("re", "e", "0", 1e3)
        b.add("g1", ["0", "g", "in", "0"], .vccs(transconductance: 1e-3))  // 0.5 mA into g
        b.r("rg", "g", "0", 2e3)                                    // v(g) = 1
        b.add("f1", ["0", "f"], .cccs(gain: 2, control: "vin"))    // i(vin) = -0.5 mA → -1 mA into f
        b.r("rf", "f", "0", 1e3)                                    // v(f) = -1
        b.add("h1", ["h", "0"], .ccvs(transresistance: 1e4, control: "vin"))  // v(h) = -5
        b.r("rh", "h", "0", 1e3)
        let op = try Simulator(deck: b.deck).operatingPoint()
        assertClose(value(op, "v(e)"), 2, "v(e)")
        assertClose(value(op, "v(g)"), 1, "v(g)")
        assertClose(value(op, "v(f)"), -1, "v(f)")
        assertClose(value(op, "v(h)"), -5, "v(h)")
        // ngspice's branch order: ccvs (own, then its control), then vcvs, then the other vsrcs.
        XCTAssertEqual(op.vectors.map(\.name).filter { $0.hasPrefix("i(") }, ["i(vin)", "i(h1)", "i(e1)"])
    }

    func testNestedDCSweep() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 0)
        b.r("r1", "a", "b", 1e3)
        b.r("r2", "b", "0", 1e3)
        b.i("i1", "0", "b", 0)
        let sim = try Simulator(deck: b.deck)
        let plot = try sim.dcSweep([DCSweep(source: "v1", values: [0, 0.5, 1]), DCSweep(source: "i1", values: [0, 1e-3])])
        XCTAssertEqual(plot.name, "dc1")
        XCTAssertEqual(plot.vectors.first?.name, "v(v-sweep)")
        XCTAssertEqual(plot.vectors[0].values.count, 6)
        for (k, (v, i)) in [(0.0, 0.0), (0.5, 0), (1, 0), (0, 1e-3), (0.5, 1e-3), (1, 1e-3)].enumerated() {
            assertClose(value(plot, "v(b)", k), v / 2 + i * 500, "v(b) at point \(k)")
        }
    }

    func testRCLowPassAC() throws {
        var b = DeckBuilder()
        b.v("v1", "in", "0", 0, ac: 1)
        b.r("r1", "in", "out", 1e3)
        b.c("c1", "out", "0", 1e-6)
        let plot = try Simulator(deck: b.deck).ac(FrequencySweep(kind: .dec, points: 10, start: 1, stop: 1e6))
        XCTAssertEqual(plot.vectors[0].name, "frequency")
        XCTAssertEqual(plot.vectors[0].values.count, 61)
        for k in [0, 20, 30, 45, 60] {
            let f = value(plot, "frequency", k)
            let wrc = 2 * Double.pi * f * 1e-3
            let h = complexValue(plot, "v(out)", k)
            assertClose(h.re, 1 / (1 + wrc * wrc), relative: 1e-9, "re v(out) at \(f) Hz")
            assertClose(h.im, -wrc / (1 + wrc * wrc), relative: 1e-9, "im v(out) at \(f) Hz")
        }
    }

    func testSeriesRLCResonance() throws {
        var b = DeckBuilder()
        b.v("v1", "in", "0", 0, ac: 1)
        b.r("r1", "in", "a", 10)
        b.l("l1", "a", "b", 1e-3)
        b.c("c1", "b", "0", 1e-9)
        let f0 = 1 / (2 * Double.pi * (1e-3 * 1e-9).squareRoot())
        let plot = try Simulator(deck: b.deck).ac(FrequencySweep(kind: .lin, points: 1, start: f0, stop: f0))
        let i = complexValue(plot, "i(v1)", 0)
        assertClose(i.re, -0.1, relative: 1e-6, "i(v1) at resonance")
        assertClose(i.im, 0, absolute: 1e-9, "im i(v1) at resonance")
    }

    func testFrequencyPointsMatchNgspice() throws {
        // ngspice 39: `.ac oct 3 1 100` gives 20 points ending at 80.6; `.ac dec 10 1 1k` 31 points.
        let b = DeckBuilder()
        var deck = b.deck
        deck.elements = [Element(name: "v1", nodes: ["a", "0"], kind: .voltageSource(Source(dc: 1, acMagnitude: 1)),
                                 location: SourceLocation(file: "t", line: 1)),
                         Element(name: "r1", nodes: ["a", "0"], kind: .resistor(resistance: 1), location: SourceLocation(file: "t", line: 2))]
        let sim = try Simulator(deck: deck)
        let oct = try sim.ac(FrequencySweep(kind: .oct, points: 3, start: 1, stop: 100))
        XCTAssertEqual(oct.vectors[0].values.count, 20)
        assertClose(value(oct, "frequency", 19), 8.063494719327188e+01, relative: 1e-14, "last oct point")
        let dec = try sim.ac(FrequencySweep(kind: .dec, points: 10, start: 1, stop: 1000))
        XCTAssertEqual(dec.vectors[0].values.count, 31)
        XCTAssertEqual(dec.name, "ac2")
    }

    func testFloatingNodeIsNamed() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.r("r1", "a", "0", 1e3)
        b.c("c1", "a", "x1.n3", 1e-12)
        b.c("c2", "x1.n3", "0", 1e-12)
        let sim = try Simulator(deck: b.deck)
        XCTAssertThrowsError(try sim.operatingPoint()) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .floatingNode)
            XCTAssertEqual(e.subject, "x1.n3")
            XCTAssertTrue(e.description.contains("'x1.n3' has no DC path to ground"), e.description)
            XCTAssertTrue(e.description.contains("capacitors"), e.description)
            XCTAssertTrue(e.description.hasPrefix("test.cir:3"), e.description)
        }
    }

    func testVoltageLoopIsNamed() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.l("l1", "a", "b", 1e-3)
        b.v("v2", "b", "0", 1)
        b.r("r1", "a", "0", 1)
        XCTAssertThrowsError(try Simulator(deck: b.deck).operatingPoint()) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .voltageLoop)
            for name in ["v1", "l1", "v2"] { XCTAssertTrue(e.description.contains("'\(name)'"), e.description) }
        }
    }

    func testUnknownSweepSourceAndControl() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.r("r1", "a", "0", 1)
        let sim = try Simulator(deck: b.deck)
        XCTAssertThrowsError(try sim.dcSweep([DCSweep(source: "v9", values: [0])]))
        b.add("f1", ["a", "0"], .cccs(gain: 1, control: "vx"))
        XCTAssertThrowsError(try Simulator(deck: b.deck)) { error in
            XCTAssertTrue("\(error)".contains("vx"), "\(error)")
        }
    }

    func testRunNamesPlotsPerKindAndRejectsTransient() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1, ac: 1)
        b.r("r1", "a", "b", 1e3)
        b.c("c1", "b", "0", 1e-9)
        b.deck.analyses = [.op, .ac(FrequencySweep(kind: .dec, points: 2, start: 1, stop: 10)), .op,
                           .dc([DCSweep(source: "v1", values: [0, 1])])]
        let plots = try Simulator(deck: b.deck).run()
        XCTAssertEqual(plots.map(\.name), ["op1", "ac1", "op2", "dc1"])
        XCTAssertEqual(plots.map(\.title), ["Operating Point", "AC Analysis", "Operating Point", "DC transfer characteristic"])
        b.deck.analyses = [.tran(step: 1e-9, stop: 1e-6, start: 0, maxStep: nil, uic: false)]
        XCTAssertEqual(try Simulator(deck: b.deck).run().map(\.name), ["tran1"])
    }
}
