import XCTest
import Spice

/// `.save` narrows what a transient keeps (plus what `.meas` cards read), the initial solution still lists
/// every node, and a linear circuit takes one Newton iteration per time point.
final class TransientSaveTests: XCTestCase {
    static let ladder = """
        rc ladder, three sections, pulse driven
        v1 n0 0 pulse(0 1 1n 1n 1n 20n 40n)
        r1 n0 n1 1k
        c1 n1 0 1p
        r2 n1 n2 1k
        c2 n2 0 1p
        r3 n2 n3 1k
        c3 n3 0 1p
        .tran 0.1n 60n
        """

    func testSaveKeepsSavedAndMeasuredVectors() throws {
        let deck = try Deck.parse(Self.ladder + "\n.save v(n3)\n.meas tran t1 when v(n1)=0.5 rise=1\n.end\n")
        var output = ""
        let session = ControlSession(deck: deck) { output += $0 }
        try session.runBatch()
        let plot = try XCTUnwrap(session.plots.first { $0.name == "tran1" })
        // (The measurement itself joins the plot as a vector, as in ngspice.)
        XCTAssertEqual(plot.vectors.map(\.name).filter { $0 != "t1" }, ["time", "v(n1)", "v(n3)"])
        XCTAssertNotNil(session.measurements["t1"])
        // The initial solution is printed for every node and branch, whatever is saved.
        for node in ["n0", "n1", "n2", "n3", "v1#branch"] { XCTAssertTrue(output.contains("\n\(node) "), "\(node) missing:\n\(output)") }
    }

    func testSaveAllAndNoSaveKeepEverything() throws {
        for extra in ["", ".save all v(n3)\n"] {
            let sim = try Simulator(deck: Deck.parse(Self.ladder + "\n" + extra + ".end\n"))
            let plot = try XCTUnwrap(sim.run().first)
            XCTAssertEqual(plot.vectors.map(\.name), ["time", "v(n0)", "v(n1)", "v(n2)", "v(n3)", "i(v1)"], extra)
        }
    }

    /// A linear circuit's time point is one solve: iterations equal time points, and the saved waveform
    /// is the same as with every vector kept.
    func testLinearCircuitTakesOneIterationPerPoint() throws {
        let sim = try Simulator(deck: Deck.parse(Self.ladder + "\n.options acct\n.end\n"))
        let plot = try XCTUnwrap(sim.run().first)
        let stats = sim.transientStatistics
        XCTAssertEqual(stats.iterations, stats.timepoints)
        XCTAssertEqual(stats.rejected + stats.accepted, stats.timepoints)
        XCTAssertEqual(stats.accepted + 1, plot.vectors[0].values.count)
        XCTAssertTrue(stats.listing.contains("Accepted timepoints = \(stats.accepted)"))
        let saved = try XCTUnwrap(Simulator(deck: Deck.parse(Self.ladder + "\n.save n3\n.end\n")).run().first)
        XCTAssertEqual(saved.vectors.map(\.name), ["time", "v(n3)"])
        guard case .real(let a) = saved.vectors[1].values, case .real(let b) = plot.vectors[4].values else {
            return XCTFail("real vectors expected")
        }
        XCTAssertEqual(a, b)
    }
}
