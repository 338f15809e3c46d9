import Foundation
import XCTest
import Spice
import TestSupport

/// The noise analysis through the public API: physics on circuits with closed-form answers, the plots'
/// shape, the control-block commands that read them, and every bad input with its file:line.
final class NoiseTests: XCTestCase {
    static let rc = """
    rc low-pass
    v1 in 0 dc 1 ac 1
    r1 in out 1k
    c1 out 0 1u
    """

    static let fourKT = 4 * 1.38064852e-23 * 300.15

    func deck(_ text: String) throws -> Deck { try Deck.parse(text, file: "t.cir") }

    // MARK: - Physics

    /// A divider's output noise is the thermal noise of R1 ∥ R2; referred to the input it is divided by
    /// the divider's gain.
    func testResistorDividerMatchesTheClosedForm() throws {
        let sim = try Simulator(deck: deck("div\nv1 in 0 ac 1\nr1 in out 1k\nr2 out 0 3k\n.end\n"))
        let plots = try sim.noise(output: "out", reference: nil, source: "v1",
                                  sweep: FrequencySweep(kind: .dec, points: 2, start: 1, stop: 100), pointsPerSummary: nil)
        XCTAssertEqual(plots.map(\.name), ["noise1", "noise2"])
        XCTAssertEqual(plots[0].vectors.map(\.name), ["frequency", "onoise_spectrum", "inoise_spectrum"])
        XCTAssertEqual(plots[1].vectors.map(\.name), ["onoise_total", "inoise_total"])
        let parallel = 1e3 * 3e3 / 4e3, gain = 0.75
        let onoise = try XCTUnwrap(plots[0].vector(named: "onoise_spectrum"))
        let inoise = try XCTUnwrap(plots[0].vector(named: "inoise_spectrum"))
        guard case .real(let on) = onoise.values, case .real(let inn) = inoise.values else { return XCTFail("complex") }
        XCTAssertEqual(on.count, 5)
        for k in 0..<5 {
            XCTAssertTrue(isClose(on[k], (Self.fourKT * parallel).squareRoot(), relative: 1e-12, absolute: 0))
            XCTAssertTrue(isClose(inn[k], (Self.fourKT * parallel).squareRoot() / gain, relative: 1e-12, absolute: 0))
        }
        // A flat density integrates to density × bandwidth.
        guard case .real(let total) = try XCTUnwrap(plots[1].vector(named: "onoise_total")).values else { return XCTFail() }
        XCTAssertTrue(isClose(total[0], (Self.fourKT * parallel * 99).squareRoot(), relative: 1e-12, absolute: 0))
    }

    /// The RC low-pass integrates to √(kT/C) over a wide band; its input-referred noise is R1's own.
    func testRCIntegratesToKTOverC() throws {
        let sim = try Simulator(deck: deck(Self.rc + "\n.end\n"))
        let plots = try sim.noise(output: "out", reference: nil, source: "v1",
                                  sweep: FrequencySweep(kind: .dec, points: 20, start: 1e-3, stop: 1e9), pointsPerSummary: nil)
        guard case .real(let total) = try XCTUnwrap(plots[1].vector(named: "onoise_total")).values,
              case .real(let inoise) = try XCTUnwrap(plots[0].vector(named: "inoise_spectrum")).values else { return XCTFail() }
        let kTOverC = Self.fourKT / 4 / 1e-6
        XCTAssertTrue(isClose(total[0], kTOverC.squareRoot(), relative: 2e-3, absolute: 0), "\(total[0])")
        for value in inoise { XCTAssertTrue(isClose(value, (Self.fourKT * 1e3).squareRoot(), relative: 1e-9, absolute: 0)) }
    }

    /// With points per summary, one vector per generator and per device, and only every n-th point.
    func testSummaryVectorsAndThinnedPoints() throws {
        let text = Self.rc + "\nd1 out 0 dm\n.model dm d kf=1e-16\n.noise v(out) v1 lin 7 10 70 3\n.end\n"
        let plots = try Simulator(deck: deck(text)).run()
        XCTAssertEqual(plots.count, 2)
        XCTAssertEqual(plots[0].vectors.map(\.name), [
            "frequency", "onoise_d1_rs", "onoise_d1_id", "onoise_d1_1overf", "onoise_d1",
            "onoise_r1_thermal", "onoise_r1_1overf", "onoise_r1", "onoise_spectrum", "inoise_spectrum",
        ])
        guard case .real(let f) = plots[0].vectors[0].values else { return XCTFail() }
        XCTAssertEqual(f, [10, 40, 70])
        XCTAssertEqual(plots[1].vectors.count, 2 * 7 + 2)
        XCTAssertEqual(plots[1].vectors.first?.name, "onoise_total_d1_rs")
        XCTAssertEqual(plots[1].vectors.last?.name, "inoise_total")
    }

    /// A single frequency makes the spectra plot only; a current-source input refers noise in A/√Hz.
    func testSinglePointAndCurrentInput() throws {
        let text = "i in\ni1 0 out dc 0 ac 1\nr1 out 0 1k\n.noise v(out) i1 lin 1 1k 1k\n.end\n"
        let plots = try Simulator(deck: deck(text)).run()
        XCTAssertEqual(plots.map(\.name), ["noise1"])
        let inoise = try XCTUnwrap(plots[0].vector(named: "inoise_spectrum"))
        XCTAssertEqual(inoise.type, .currentDensity)
        guard case .real(let value) = inoise.values else { return XCTFail() }
        // R's thermal current noise, 4kT/R.
        XCTAssertTrue(isClose(value[0], (Self.fourKT / 1e3).squareRoot(), relative: 1e-12, absolute: 0))
        let raw = RawFile.render(plots, title: "i in")
        XCTAssertTrue(raw.contains("inoise_spectrum\tcurrent-density"), raw)
        XCTAssertTrue(raw.contains("onoise_spectrum\tvoltage-density"), raw)
    }

    // MARK: - Control block

    func runControl(_ control: String, netlist: String = NoiseTests.rc) throws -> (ControlSession, String) {
        var output = ""
        let session = ControlSession(deck: try deck(netlist + "\n.control\n" + control + "\n.endc\n.end\n")) { output += $0 }
        try session.runBatch()
        return (session, output)
    }

    func testControlBlockPlotsQualifiedNamesAndMeasurement() throws {
        let (session, output) = try runControl("""
            noise v(out) v1 dec 10 1 1meg
            print onoise_total
            let x = noise1.inoise_spectrum[30]
            meas noise n1k find inoise_spectrum at=1k
            setplot noise1
            echo $&n1k
            """)
        XCTAssertEqual(session.plots.map(\.name), ["const", "noise1", "noise2"])
        XCTAssertEqual(session.currentPlot.name, "noise1")
        XCTAssertTrue(output.contains("onoise_total = 6.4"), output)
        let expected = (Self.fourKT * 1e3).squareRoot()
        let n1k = try XCTUnwrap(session.measurements["n1k"])
        XCTAssertTrue(isClose(n1k, expected, relative: 1e-9, absolute: 0), "\(n1k)")
        let x = try XCTUnwrap(session.plots[2].vector(named: "x"))
        guard case .real(let xv) = x.values else { return XCTFail() }
        XCTAssertTrue(isClose(xv[0], expected, relative: 1e-9, absolute: 0))
        XCTAssertTrue(output.contains("n1k"), output)
    }

    func testDeckMeasurementOnNoise() throws {
        let text = Self.rc + "\n.noise v(out) v1 dec 10 1 1meg\n.meas noise n100 find onoise_spectrum at=100\n.end\n"
        var output = ""
        let session = ControlSession(deck: try deck(text)) { output += $0 }
        try session.runBatch()
        XCTAssertNotNil(session.measurements["n100"], output)
        XCTAssertTrue(output.contains("Measurements for Noise Analysis"), output)
    }

    // MARK: - Bad input

    func testBadCardsNameFileAndLine() {
        let cases: [(String, String)] = [
            (".noise v(out) v9 dec 10 1 1k", "t.cir:5: .noise: undefined source 'v9'"),
            (".noise v(nowhere) v1 dec 10 1 1k", "t.cir:5: .noise: output node 'nowhere' is not in the circuit"),
            (".noise v(out,elsewhere) v1 dec 10 1 1k", "t.cir:5: .noise: output node 'elsewhere' is not in the circuit"),
            (".noise v(out) r1 dec 10 1 1k", "t.cir:5: .noise: 'r1' is not an independent voltage or current source"),
            (".noise v(out) v1 dec 0 1 1k", "t.cir:5: .noise: number of points must be a positive integer, found 0.0"),
            (".noise v(out) v1 dec 10 0 1k", "t.cir:5: .noise: start frequency must be positive for dec"),
            (".noise v(out) v1 dec 10 1k 1", "t.cir:5: .noise: stop frequency 1.0 is below start 1000.0"),
            (".noise v(out) v1 log 10 1 1k", "t.cir:5: .noise expects dec|oct|lin, points, start, stop"),
            (".noise v(out) v1 dec 10 1", "t.cir:5: .noise expects v(output[,reference]) source dec|oct|lin points start stop [points per summary]"),
            (".noise v(out) v1 dec 10 1 1k 2.5", "t.cir:5: .noise: points per summary must be an integer"),
        ]
        for (card, message) in cases {
            XCTAssertThrowsError(try deck(Self.rc + "\n" + card + "\n.end\n"), card) { error in
                XCTAssertEqual("\(error)", message, card)
            }
        }
    }

    func testSourceWithoutACValueNamesItsLine() throws {
        let text = "t\nv1 in 0 dc 1\nr1 in out 1k\nr2 out 0 1k\n.noise v(out) v1 dec 10 1 1k\n.end\n"
        XCTAssertThrowsError(try Simulator(deck: deck(text)).run()) { error in
            XCTAssertEqual((error as? SimulationError)?.kind, .badValue)
            XCTAssertEqual("\(error)", "t.cir:2: error: .noise: input source 'v1' has no AC value")
        }
    }

    func testControlCommandErrorsNameTheLine() throws {
        for (command, message) in [
            ("noise v(nowhere) v1 dec 10 1 1k", "t.cir:6: error: .noise: output node 'nowhere' is not in the circuit"),
            ("noise v(out) r1 dec 10 1 1k", "t.cir:6: error: .noise: input 'r1' is not an independent voltage or current source"),
            ("noise v(out) v7 dec 10 1 1k", "t.cir:6: error: .noise: input source 'v7' is not in the circuit"),
        ] {
            XCTAssertThrowsError(try runControl(command), command) { error in
                XCTAssertEqual("\(error)", message, command)
            }
        }
        XCTAssertThrowsError(try runControl("noise v(out) v1 dec 10 1")) { error in
            XCTAssertTrue("\(error)".contains("t.cir:6"), "\(error)")
        }
    }
}
