import Foundation
import XCTest
import Spice
import TestSupport

/// `.meas tran` on Miller's transient plots against the values ngspice 39 prints for the same deck
/// (`Goldens/tran/<name>.out`), and the transient's error paths.
///
/// The measured times and values depend on where each simulator put its time points, so they compare
/// with `isClose(relative: 2e-3, absolute: 1e-12)` (times are nanoseconds, values volts, charges
/// picocoulombs: the absolute part only matters for values near zero).
final class TransientMeasureTests: XCTestCase {
    static let decks: Set<String> = ["meas_tran", "meas_forms"]

    static var folder: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Goldens").appendingPathComponent("tran")
    }

    /// `name = value` lines as ngspice prints them (the first number after `=`).
    static func measurements(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" "),
                  let word = parts[1].split(separator: " ").first, let value = Double(word) else { continue }
            result[name.lowercased()] = value
        }
        return result
    }

    func test_meas_tran() throws { try checkMeasurements("meas_tran", atLeast: 15) }

    /// The forms meas_tran leaves out: INTEG with and without FROM/TO, FIND … WHEN with TD, RISE, FALL,
    /// CROSS=n and CROSS/RISE/FALL=LAST, WHEN with TD and LAST, TRIG/TARG with TD and LAST, FIND … AT on
    /// a branch current, AVG over a window. (DERIV is not here: ngspice 39 fails every DERIV measurement,
    /// in .meas and in control-block meas alike, so it has no golden; MeasureTests checks its arithmetic.)
    func test_meas_forms() throws { try checkMeasurements("meas_forms", atLeast: 16) }

    /// Runs a golden deck and compares every `name = value` ngspice printed: the value within 2e-3, the
    /// printed value as measured, and the number printed in ngspice's layout (spaces after `=`, digits).
    private func checkMeasurements(_ name: String, atLeast count: Int) throws {
        let deck = try Deck.load(path: Self.folder.appendingPathComponent("\(name).cir").path)
        var output = ""
        let session = ControlSession(deck: deck) { output += $0 }
        try session.runBatch()
        let golden = try String(contentsOf: Self.folder.appendingPathComponent("\(name).out"), encoding: .utf8)
        let reference = Self.measurements(golden)
        XCTAssertGreaterThanOrEqual(reference.count, count)
        let printed = Self.measurements(output)
        let layouts = Self.layouts(golden), printedLayouts = Self.layouts(output)
        for (key, expected) in reference.sorted(by: { $0.key < $1.key }) {
            guard let value = session.measurements[key] else {
                XCTFail("\(name): \(key) missing (Miller printed:\n\(output))"); continue
            }
            XCTAssertTrue(isClose(value, expected, relative: 2e-3, absolute: 1e-12),
                          "\(name): \(key) = \(value), ngspice \(expected)")
            XCTAssertEqual(printed[key].map { isClose($0, value, relative: 1e-5, absolute: 0) }, true,
                           "\(name): \(key) not printed as measured")
            XCTAssertEqual(printedLayouts[key], layouts[key], "\(name): \(key) printed in another layout than ngspice's")
        }
        XCTAssertTrue(output.contains("Measurements for Transient Analysis"), output)
        XCTAssertTrue(session.failedMeasurements.isEmpty, "\(session.failedMeasurements)")
    }

    /// Per `name = value` line, the layout of its first number: the blanks after `=` and the digits
    /// after the decimal point (`%e` prints six, ngspice's WHEN/INTEG/RMS/PARAM lines five).
    static func layouts(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" ") else { continue }
            let rest = parts[1]
            let blanks = rest.prefix { $0 == " " }.count
            let number = rest.drop { $0 == " " }.prefix { $0 != " " }
            let digits = number.split(separator: ".").dropFirst().first?.prefix { $0.isNumber }.count ?? 0
            result[name.lowercased()] = "\(blanks) blanks, \(digits) digits"
        }
        return result
    }

    /// A transient whose Newton iteration can never converge ends with the timestep error saying why.
    func testTimestepTooSmall() throws {
        let deck = try Deck.parse("""
            diode driven by a current step whose forward voltage overflows its exponential
            i1 0 k pulse(0 1e300 1n 1n 1n 10n 20n)
            d1 k 0 dm
            c1 k 0 1p
            .model dm d is=1e-14 cjo=1p
            .tran 0.1n 20n
            .end
            """, file: "stuck.cir")
        XCTAssertThrowsError(try Simulator(deck: deck).run()) { error in
            guard let e = error as? SimulationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .noConvergence, e.description)
            XCTAssertTrue(e.description.contains("timestep too small at t="), e.description)
        }
    }

    /// Bad `.tran` cards fail with the file and line.
    func testBadTranCardsNameTheLine() throws {
        for card in [".tran 0 1u", ".tran 1n", ".tran 1n -1u", ".tran 1n 1u 2u", ".tran 1n 1u 0 -1n", ".tran 1n 1u 0 1n 2n 3n"] {
            let text = "title\nr1 a 0 1k\n\(card)\n.end\n"
            XCTAssertThrowsError(try Deck.parse(text, file: "bad.cir"), card) { error in
                XCTAssertTrue("\(error)".contains("bad.cir:3"), "\(card): \(error)")
            }
        }
    }

    /// The plot is named tran1, its scale is time from 0 to TSTOP, and every accepted point is kept.
    func testPlotShape() throws {
        let deck = try Deck.parse("""
            rc step
            v1 in 0 pulse(0 1 1n 1n 1n 5n 20n)
            r1 in out 1k
            c1 out 0 1p
            .tran 0.1n 10n
            .end
            """)
        let plots = try Simulator(deck: deck).run()
        XCTAssertEqual(plots.map(\.name), ["tran1"])
        let plot = plots[0]
        XCTAssertEqual(plot.vectors.map(\.name), ["time", "v(in)", "v(out)", "i(v1)"])
        guard case .real(let t) = plot.vectors[0].values, case .real(let v) = plot.vectors[2].values else {
            return XCTFail("real vectors expected")
        }
        XCTAssertEqual(t.first, 0)
        XCTAssertEqual(t.last ?? 0, 10e-9, accuracy: 1e-18)
        XCTAssertTrue(zip(t, t.dropFirst()).allSatisfy { $0 < $1 }, "time must increase")
        XCTAssertTrue(t.contains { abs($0 - 2e-9) < 1e-18 }, "the pulse corner at 2 ns is a time point")
        // After 5 time constants of the plateau the output has settled to the input.
        let k = t.firstIndex { $0 >= 7e-9 }!
        XCTAssertEqual(v[k], 1, accuracy: 1e-2)
    }
}
