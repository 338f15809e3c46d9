import Foundation
import XCTest
import Spice
import TestSupport

/// Golden tests: every deck in `Goldens/` simulated by Miller and compared, vector by vector and point by
/// point, with ngspice 39's output for the same deck (`<name>.raw`, made by `scripts/goldens/regenerate.sh`).
///
/// The rule is `isClose(miller, ngspice, relative: 1e-4, absolute: 1e-9)` for voltages and other
/// quantities and `absolute: 1e-12` for currents. The decks run with `reltol=1e-6 vntol=1e-10 abstol=1e-15`,
/// so a 1e-4 disagreement is a difference in the mathematics, not in when Newton stopped.
///
/// Complex (AC) vectors compare their real and imaginary parts separately, each with the same rule.
/// The AC frequency scale compares its real part only: ngspice 39 leaves the imaginary part of the
/// frequency vector uninitialised in raw files.
///
/// Plots are paired by kind (op, dc, ac, ...) and by order within that kind, because `ngspice -b` runs
/// all operating points, then DC sweeps, then AC sweeps, and writes the raw file newest plot first, while
/// Miller runs analyses in deck order. Vectors are paired by name after normalising `v(x)`/`x` and
/// `i(x)`/`x#branch`. Every ngspice vector must be present in Miller's plot; vectors Miller adds beyond
/// ngspice's (device-internal nodes such as `m1#drain`, which ngspice leaves out of raw files) are skipped.
final class GoldenTests: XCTestCase {
    /// One test per deck, so a failure names its deck in the test list; `testEveryDeckHasATest` keeps
    /// this list and the folder in step.
    static let decks = [
        "ac_phases", "cmos_inverter", "controlled_ef", "controlled_gh", "current_mirror", "dc_nested",
        "dc_res_sweep", "dc_temp_sweep", "diode_breakdown", "diode_caps_ac", "diode_cold", "diode_forward", "diode_temp",
        "expr_functions", "expr_operators", "ic_nodeset", "include_lib", "mos_caps_ac", "mos_rsh_nrd", "mos_temp_cold",
        "mos_temp_hot", "nmos_body", "nmos_iv", "opamp_ac", "opamp_dc", "opamp_follower", "opamp_hot",
        "opamp_op", "options_scale", "param_scoping", "pmos_iv", "rc_ac_dec", "res_divider", "rl_ac_oct",
        "rlc_ac_lin", "si_units", "sources_dc_sweep", "subckt_nested",
    ]

    func test_ac_phases() throws { try checkGolden("ac_phases") }
    func test_cmos_inverter() throws { try checkGolden("cmos_inverter") }
    func test_controlled_ef() throws { try checkGolden("controlled_ef") }
    func test_controlled_gh() throws { try checkGolden("controlled_gh") }
    func test_current_mirror() throws { try checkGolden("current_mirror") }
    func test_dc_nested() throws { try checkGolden("dc_nested") }
    func test_dc_res_sweep() throws { try checkGolden("dc_res_sweep") }
    func test_dc_temp_sweep() throws { try checkGolden("dc_temp_sweep") }
    func test_diode_breakdown() throws { try checkGolden("diode_breakdown") }
    func test_diode_caps_ac() throws { try checkGolden("diode_caps_ac") }
    func test_diode_cold() throws { try checkGolden("diode_cold") }
    func test_diode_forward() throws { try checkGolden("diode_forward") }
    func test_diode_temp() throws { try checkGolden("diode_temp") }
    func test_expr_functions() throws { try checkGolden("expr_functions") }
    func test_expr_operators() throws { try checkGolden("expr_operators") }
    func test_ic_nodeset() throws { try checkGolden("ic_nodeset") }
    func test_include_lib() throws { try checkGolden("include_lib") }
    func test_mos_caps_ac() throws { try checkGolden("mos_caps_ac") }
    func test_mos_rsh_nrd() throws { try checkGolden("mos_rsh_nrd") }
    func test_mos_temp_cold() throws { try checkGolden("mos_temp_cold") }
    func test_mos_temp_hot() throws { try checkGolden("mos_temp_hot") }
    func test_nmos_body() throws { try checkGolden("nmos_body") }
    func test_nmos_iv() throws { try checkGolden("nmos_iv") }
    func test_opamp_ac() throws { try checkGolden("opamp_ac") }
    func test_opamp_dc() throws { try checkGolden("opamp_dc") }
    func test_opamp_follower() throws { try checkGolden("opamp_follower") }
    func test_opamp_hot() throws { try checkGolden("opamp_hot") }
    func test_opamp_op() throws { try checkGolden("opamp_op") }
    func test_options_scale() throws { try checkGolden("options_scale") }
    func test_param_scoping() throws { try checkGolden("param_scoping") }
    func test_pmos_iv() throws { try checkGolden("pmos_iv") }
    func test_rc_ac_dec() throws { try checkGolden("rc_ac_dec") }
    func test_res_divider() throws { try checkGolden("res_divider") }
    func test_rl_ac_oct() throws { try checkGolden("rl_ac_oct") }
    func test_rlc_ac_lin() throws { try checkGolden("rlc_ac_lin") }
    func test_si_units() throws { try checkGolden("si_units") }
    func test_sources_dc_sweep() throws { try checkGolden("sources_dc_sweep") }
    func test_subckt_nested() throws { try checkGolden("subckt_nested") }

    /// Every `*.cir` in the folder has its reference and its test method above, and vice versa.
    func testEveryDeckHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.goldens.path)
        let decks = Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) })
        XCTAssertEqual(decks, Set(Self.decks), "Goldens/*.cir and GoldenTests.decks differ")
        XCTAssertGreaterThanOrEqual(decks.count, 30)
        for deck in decks {
            XCTAssertTrue(files.contains("\(deck).raw"), "\(deck).cir has no reference \(deck).raw")
        }
    }

    // MARK: - The comparison

    static var goldens: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Goldens")
    }

    /// Failure messages kept per vector before the rest are only counted.
    static let messagesPerVector = 5

    func checkGolden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let deckPath = Self.goldens.appendingPathComponent("\(name).cir").path
        let reference = try RawFile.read(path: Self.goldens.appendingPathComponent("\(name).raw").path)

        let plots: [Plot]
        do {
            let deck = try Deck.load(path: deckPath)
            plots = try Simulator(deck: deck).run()
        } catch {
            return XCTFail("\(name): Miller failed: \(error)", file: file, line: line)
        }

        // ngspice writes newest first; reversed, the reference is in ngspice's run order.
        let expectedByKind = Dictionary(grouping: reference.reversed(), by: { RawFile.kind(of: $0) })
        let actualByKind = Dictionary(grouping: plots, by: { RawFile.kind(of: $0) })
        XCTAssertEqual(actualByKind.mapValues(\.count), expectedByKind.mapValues(\.count),
                       "\(name): Miller's analyses differ from ngspice's (plots per kind)", file: file, line: line)

        var worst = Worst()
        for (kind, expectedPlots) in expectedByKind.sorted(by: { $0.key < $1.key }) {
            let actualPlots = actualByKind[kind] ?? []
            for (index, (expected, actual)) in zip(expectedPlots, actualPlots).enumerated() {
                compare(actual, expected, context: "\(name) \(kind)\(index + 1)", worst: &worst, file: file, line: line)
            }
        }
        // For the log: how close the agreement is, not only that it is within tolerance.
        print("golden \(name): \(worst.count) values compared, largest relative difference "
              + String(format: "%.2e", worst.relative) + " (\(worst.where))")
    }

    /// The largest relative difference seen, over values well above the absolute tolerance.
    struct Worst {
        var relative = 0.0
        var `where` = "-"
        var count = 0
        mutating func note(_ a: Double, _ e: Double, absolute: Double, at place: @autoclosure () -> String) {
            count += 1
            let size = max(abs(a), abs(e))
            guard size > 1000 * absolute, a.isFinite, e.isFinite else { return }
            let r = abs(a - e) / size
            if r > relative { relative = r; `where` = place() }
        }
    }

    private func compare(_ actual: Plot, _ expected: Plot, context: String, worst: inout Worst,
                         file: StaticString, line: UInt) {
        var actualByName: [String: Vector] = [:]
        for vector in actual.vectors { actualByName[Self.canonical(vector.name)] = vector }
        let scale = expected.vectors.first

        for vector in expected.vectors {
            guard let mine = actualByName[Self.canonical(vector.name)] else {
                XCTFail("\(context): vector \(vector.name) missing from Miller's plot (has: "
                        + actual.vectors.map(\.name).joined(separator: " ") + ")", file: file, line: line)
                continue
            }
            let (er, ei) = Self.parts(vector.values)
            let (ar, ai) = Self.parts(mine.values)
            guard er.count == ar.count else {
                XCTFail("\(context): \(vector.name) has \(ar.count) points in Miller, \(er.count) in ngspice",
                        file: file, line: line)
                continue
            }
            let absolute = vector.type == .current ? 1e-12 : 1e-9
            // ngspice 39 leaves the frequency scale's imaginary part uninitialised.
            let compareImaginary = vector.type != .frequency
            var failures = 0
            for k in 0..<er.count {
                worst.note(ar[k], er[k], absolute: absolute, at: "\(context) \(vector.name)[\(k)]")
                if compareImaginary {
                    worst.note(ai[k], ei[k], absolute: absolute, at: "\(context) \(vector.name)[\(k)] imag")
                }
                let reOK = isClose(ar[k], er[k], relative: 1e-4, absolute: absolute)
                let imOK = !compareImaginary || isClose(ai[k], ei[k], relative: 1e-4, absolute: absolute)
                if reOK && imOK { continue }
                failures += 1
                guard failures <= Self.messagesPerVector else { continue }
                let at = scale.map { s in "\(s.name)=\(Self.parts(s.values).0[k])" } ?? ""
                let values = compareImaginary && (ai[k] != 0 || ei[k] != 0)
                    ? "Miller \(ar[k]) \(ai[k] < 0 ? "-" : "+") \(abs(ai[k]))j, ngspice \(er[k]) \(ei[k] < 0 ? "-" : "+") \(abs(ei[k]))j"
                    : "Miller \(ar[k]), ngspice \(er[k])"
                XCTFail("\(context): \(vector.name) at point \(k) (\(at)): \(values)", file: file, line: line)
            }
            if failures > Self.messagesPerVector {
                XCTFail("\(context): \(vector.name): \(failures) of \(er.count) points differ in all",
                        file: file, line: line)
            }
        }
    }

    /// One spelling per vector: `v(out)` and `out` are both `out`; `i(v1)` and `v1#branch` both `v1#branch`.
    static func canonical(_ name: String) -> String {
        let n = name.lowercased()
        if n.hasPrefix("v("), n.hasSuffix(")") { return String(n.dropFirst(2).dropLast()) }
        if n.hasPrefix("i("), n.hasSuffix(")") { return String(n.dropFirst(2).dropLast()) + "#branch" }
        return n
    }

    /// Real and imaginary parts; a real vector has zero imaginary parts.
    static func parts(_ values: Vector.Values) -> ([Double], [Double]) {
        switch values {
        case .real(let r): (r, [Double](repeating: 0, count: r.count))
        case .complex(let re, let im): (re, im)
        }
    }
}
