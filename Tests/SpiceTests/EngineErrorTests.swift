import XCTest
import Spice
import TestSupport

/// Bad circuits fail with errors that say what and where; nothing crashes or hangs.
final class EngineErrorTests: XCTestCase {
    func testNonConvergenceIsReportedWithANode() throws {
        var b = DeckBuilder()
        // 1e300 A forward through a diode: its exponential overflows long before the junction voltage
        // that carries it, so neither Newton nor any homotopy (gmin, true gmin, sources) can converge
        // (ngspice 39 fails the same way). Iteration limits cannot make a circuit fail: like ngspice,
        // every Newton run takes at least 100 iterations whatever itl1/itl2 say.
        b.i("i1", "0", "k", 1e300)
        b.add("d1", ["k", "0"], .diode(model: "dm", area: 1, off: false))
        b.model("dm", "d", ["is": 1e-14])
        XCTAssertThrowsError(try Simulator(deck: b.deck).operatingPoint()) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .noConvergence, e.description)
            XCTAssertTrue(e.description.contains("did not converge"), e.description)
        }
    }

    func testModelProblemsNameTheElementAndCard() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.add("d1", ["a", "0"], .diode(model: "nosuch", area: 1, off: false))
        XCTAssertThrowsError(try Simulator(deck: b.deck)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("nosuch") && text.contains("d1") && text.contains("test.cir:2"), text)
        }
        var c = DeckBuilder()
        c.v("v1", "a", "0", 1)
        c.add("m1", ["a", "a", "0", "0"], .mosfet(model: "n2", instance: MOSInstance()))
        c.model("n2", "nmos", ["level": 2])
        XCTAssertThrowsError(try Simulator(deck: c.deck)) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .unsupported)
            XCTAssertTrue(e.description.contains("level 2"), e.description)
        }
        var d = DeckBuilder()
        d.v("v1", "a", "0", 1)
        d.add("m1", ["a", "a", "0", "0"], .mosfet(model: "dm", instance: MOSInstance()))
        d.model("dm", "d", [:])
        XCTAssertThrowsError(try Simulator(deck: d.deck)) { error in
            XCTAssertTrue("\(error)".contains("type 'd'"), "\(error)")
        }
    }

    func testBadValuesAreRejected() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.r("r1", "a", "0", 0)
        XCTAssertThrowsError(try Simulator(deck: b.deck)) { error in
            XCTAssertTrue("\(error)".contains("r1"), "\(error)")
        }
        var m = DeckBuilder()
        m.v("v1", "a", "0", 1)
        m.add("m1", ["a", "a", "0", "0"], .mosfet(model: "nm", instance: MOSInstance(w: 1e-6, l: 1e-6)))
        m.model("nm", "nmos", ["ld": 1e-6])
        XCTAssertThrowsError(try Simulator(deck: m.deck)) { error in
            XCTAssertTrue("\(error)".contains("m1"), "\(error)")
        }
        var a = DeckBuilder()
        a.v("v1", "a", "0", 1, ac: 1)
        a.r("r1", "a", "0", 1)
        XCTAssertThrowsError(try Simulator(deck: a.deck).ac(FrequencySweep(kind: .dec, points: 10, start: 0, stop: 1e3)))
    }

    func testFloatingGateIsNamed() throws {
        var b = DeckBuilder()
        b.v("vdd", "vdd", "0", 1.8)
        b.r("rl", "vdd", "d", 1e3)
        b.add("m1", ["d", "gate", "0", "0"], .mosfet(model: "nm", instance: MOSInstance()))
        b.model("nm", "nmos", [:])
        XCTAssertThrowsError(try Simulator(deck: b.deck).operatingPoint()) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .floatingNode)
            XCTAssertEqual(e.subject, "gate")
        }
    }

    func testOperatingPointListingFormat() throws {
        var b = DeckBuilder()
        b.v("v1", "a", "0", 1)
        b.r("r1", "a", "b", 1e3)
        b.r("r2", "b", "0", 1e3)
        let op = try Simulator(deck: b.deck).operatingPoint()
        let listing = OperatingPointListing(plot: op, title: "t")
        XCTAssertEqual(listing.nodes.map(\.name), ["b", "a"])
        XCTAssertEqual(listing.sources.map(\.name), ["v1#branch"])
        XCTAssertTrue(listing.text.contains("\tb                                5.000000e-01\n"), listing.text)
        XCTAssertTrue(listing.text.contains("\tv1#branch                        -5.00000e-04\n"), listing.text)
        XCTAssertTrue(listing.json.contains("\"name\": \"v1#branch\", \"value\": -0.0005"), listing.json)
    }
}

final class EngineNodesetTests: XCTestCase {
    /// Two cross-coupled resistor-load inverters have two stable states; `.nodeset` picks one.
    func testNodesetSelectsLatchState() throws {
        for (q, qb) in [(1.8, 0.0), (0.0, 1.8)] {
            var b = DeckBuilder()
            b.v("vdd", "vdd", "0", 1.8)
            b.r("r1", "vdd", "q", 10e3)
            b.r("r2", "vdd", "qb", 10e3)
            b.add("m1", ["q", "qb", "0", "0"], .mosfet(model: "nm", instance: MOSInstance(w: 10e-6, l: 1e-6)))
            b.add("m2", ["qb", "q", "0", "0"], .mosfet(model: "nm", instance: MOSInstance(w: 10e-6, l: 1e-6)))
            b.model("nm", "nmos", ["vto": 0.5, "kp": 200e-6])
            b.deck.nodesets = ["q": q, "qb": qb]
            let op = try Simulator(deck: b.deck).operatingPoint()
            XCTAssertEqual(value(op, "v(q)") > 1.0, q > 1.0, "q with nodeset q=\(q): \(value(op, "v(q)"))")
            XCTAssertEqual(value(op, "v(qb)") > 1.0, qb > 1.0, "qb with nodeset qb=\(qb): \(value(op, "v(qb)"))")
        }
    }
}
