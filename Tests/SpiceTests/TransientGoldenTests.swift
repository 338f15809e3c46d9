import Foundation
import XCTest
import Spice
import TestSupport

/// Transient goldens: every deck in `Goldens/tran/` simulated by Miller and compared with ngspice 39's
/// raw file for the same deck (made by `scripts/goldens/regenerate-tran.sh`).
///
/// ngspice and Miller each choose their own time points, so Miller's waveform is interpolated linearly at
/// ngspice's points (and compared there). Each deck states its tolerance: a relative part and an absolute
/// part given as a fraction of the vector's swing (max − min over ngspice's waveform), because a tiny
/// shift in where an edge lands shows up as an error of slope × shift, largest where the waveform moves
/// fastest. Branch currents use the same rule with their own swing. For the same reason a point also
/// passes when ngspice's value lies within the range Miller's waveform spans over a small time window
/// around the point (`window`, seconds): a current that jumps at a breakpoint is compared by value, not
/// by where two different sets of time points happen to interpolate it.
final class TransientGoldenTests: XCTestCase {
    struct Tolerance {
        var relative: Double
        /// Absolute tolerance as a fraction of each vector's swing.
        var swing: Double
        /// Half-width of the time window (seconds) within which a matching value counts.
        var window: Double = 0
        /// Vectors left out, each for a stated reason.
        var skip: Set<String> = []
    }

    /// Deck name to tolerance; `testEveryDeckHasATest` keeps this list and the folder in step.
    static let decks: [String: Tolerance] = [
        "rc_pulse": Tolerance(relative: 1e-4, swing: 1e-4),
        "rlc_trap": Tolerance(relative: 1e-4, swing: 1e-4),
        "rlc_gear": Tolerance(relative: 1e-4, swing: 1e-4),
        "ic_op": Tolerance(relative: 1e-4, swing: 1e-4),
        "uic_ic": Tolerance(relative: 1e-4, swing: 1e-3),
        "diode_rectifier": Tolerance(relative: 1e-3, swing: 1e-3),
        "exp_pwl": Tolerance(relative: 1e-3, swing: 2e-3),
        // The gate current jitters point to point in both simulators (trapezoidal on the Meyer charges).
        "cmos_inverter": Tolerance(relative: 1e-3, swing: 2e-2, window: 5e-12),
        // The oscillator's phase is only as good as either simulator's truncation error: ngspice itself
        // moves edges by 60 % of the swing at 19 ns between reltol 1e-4 and 1e-5, so edges compare within
        // 40 ps. ngspice's supply current rings point to point there (trapezoidal), so it is left out.
        "ring5": Tolerance(relative: 1e-3, swing: 2e-2, window: 40e-12, skip: ["i(vdd)"]),
        "opamp_slew_bsim": Tolerance(relative: 1e-3, swing: 1e-2, window: 1e-9),
    ]

    func test_rc_pulse() throws { try checkGolden("rc_pulse") }
    func test_rlc_trap() throws { try checkGolden("rlc_trap") }
    func test_rlc_gear() throws { try checkGolden("rlc_gear") }
    func test_ic_op() throws { try checkGolden("ic_op") }
    func test_uic_ic() throws { try checkGolden("uic_ic") }
    func test_diode_rectifier() throws { try checkGolden("diode_rectifier") }
    func test_exp_pwl() throws { try checkGolden("exp_pwl") }
    func test_cmos_inverter() throws { try checkGolden("cmos_inverter") }
    func test_ring5() throws { try checkGolden("ring5") }
    func test_opamp_slew_bsim() throws { try checkGolden("opamp_slew_bsim") }

    func testEveryDeckHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        let decks = Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) })
            .subtracting(TransientMeasureTests.decks)
        XCTAssertEqual(decks, Set(Self.decks.keys), "Goldens/tran/*.cir and TransientGoldenTests.decks differ")
        for deck in decks {
            XCTAssertTrue(files.contains("\(deck).raw"), "\(deck).cir has no reference \(deck).raw")
        }
    }

    static var folder: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Goldens").appendingPathComponent("tran")
    }

    func checkGolden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let tolerance = Self.decks[name] else { return XCTFail("\(name): no tolerance stated", file: file, line: line) }
        let reference = try RawFile.read(path: Self.folder.appendingPathComponent("\(name).raw").path)
        let plots: [Plot]
        do {
            let deck = try Deck.load(path: Self.folder.appendingPathComponent("\(name).cir").path)
            plots = try Simulator(deck: deck).run()
        } catch {
            return XCTFail("\(name): Miller failed: \(error)", file: file, line: line)
        }
        let expected = reference.reversed().filter { $0.name.hasPrefix("tran") || $0.title == "Transient Analysis" }
        let actual = plots.filter { $0.name.hasPrefix("tran") }
        XCTAssertEqual(actual.count, expected.count, "\(name): transient plots differ in number", file: file, line: line)
        for (index, (mine, theirs)) in zip(actual, expected).enumerated() {
            let report = Self.compare(mine, theirs, tolerance: tolerance, context: "\(name) tran\(index + 1)")
            for failure in report.failures { XCTFail(failure, file: file, line: line) }
            print("golden tran/\(name): \(report.count) values compared at ngspice's \(report.points) time points, "
                  + "largest error " + String(format: "%.2e", report.worst) + " of the swing (\(report.where)); "
                  + "Miller took \(mine.vectors.first?.values.count ?? 0) points")
        }
    }

    struct Report {
        var failures: [String] = []
        var worst = 0.0
        var `where` = "-"
        var count = 0
        var points = 0
    }

    /// Compares every ngspice vector with Miller's, interpolated at ngspice's time points.
    static func compare(_ actual: Plot, _ expected: Plot, tolerance: Tolerance, context: String) -> Report {
        var report = Report()
        guard let scaleE = expected.vectors.first, case .real(let te) = scaleE.values,
              let scaleA = actual.vectors.first, case .real(let ta) = scaleA.values, !ta.isEmpty else {
            report.failures.append("\(context): missing time scale")
            return report
        }
        report.points = te.count
        var byName: [String: Vector] = [:]
        for v in actual.vectors { byName[GoldenTests.canonical(v.name)] = v }
        for vector in expected.vectors.dropFirst() where !tolerance.skip.contains(vector.name.lowercased()) {
            guard let mine = byName[GoldenTests.canonical(vector.name)], case .real(let ya) = mine.values,
                  case .real(let ye) = vector.values else {
                report.failures.append("\(context): vector \(vector.name) missing from Miller's plot")
                continue
            }
            let swing = (ye.max() ?? 0) - (ye.min() ?? 0)
            let absolute = max(swing * tolerance.swing, vector.type == .current ? 1e-12 : 1e-9)
            var failures = 0
            for (k, t) in te.enumerated() {
                let a = interpolate(ta, ya, at: t)
                report.count += 1
                // The error that counts: at the point, or to the values Miller spans within the window.
                var error = abs(a - ye[k])
                if tolerance.window > 0 {
                    let (lo, hi) = range(ta, ya, from: t - tolerance.window, to: t + tolerance.window)
                    error = min(error, max(0, lo - ye[k], ye[k] - hi))
                }
                let scaled = swing > 0 ? error / swing : error
                if scaled > report.worst { report.worst = scaled; report.where = "\(vector.name) at t=\(t)" }
                if error <= max(abs(a), abs(ye[k])) * tolerance.relative + absolute { continue }
                failures += 1
                if failures <= 5 {
                    report.failures.append("\(context): \(vector.name) at t=\(t): Miller \(a), ngspice \(ye[k]) (swing \(swing))")
                }
            }
            if failures > 5 { report.failures.append("\(context): \(vector.name): \(failures) of \(te.count) points differ") }
        }
        return report
    }

    /// The smallest and largest value of the piecewise-linear (t, y) over [from, to].
    static func range(_ t: [Double], _ y: [Double], from: Double, to: Double) -> (Double, Double) {
        let a = interpolate(t, y, at: from), b = interpolate(t, y, at: to)
        var lo = min(a, b), hi = max(a, b)
        for k in 0..<t.count where t[k] > from && t[k] < to { lo = min(lo, y[k]); hi = max(hi, y[k]) }
        return (lo, hi)
    }

    /// Linear interpolation of (t, y) at `x`, clamped to the ends.
    static func interpolate(_ t: [Double], _ y: [Double], at x: Double) -> Double {
        if x <= t[0] { return y[0] }
        if x >= t[t.count - 1] { return y[y.count - 1] }
        var lo = 0, hi = t.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if t[mid] <= x { lo = mid } else { hi = mid }
        }
        let span = t[hi] - t[lo]
        return span > 0 ? y[lo] + (y[hi] - y[lo]) * (x - t[lo]) / span : y[hi]
    }
}
