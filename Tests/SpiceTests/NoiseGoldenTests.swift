import Foundation
import XCTest
import Spice
import TestSupport

/// Noise analysis against ngspice 39: every deck in `Goldens/noise/` simulated by Miller and compared with
/// ngspice's raw file for it (made by `scripts/goldens/regenerate-noise.sh`): the spectra plot (`noise1`:
/// frequency, `onoise_spectrum`, `inoise_spectrum` and, with points-per-summary, one vector per generator
/// and per device) and the integrated plot (`noise2`: `onoise_total`, `inoise_total` and the per-device
/// totals), every vector ngspice writes, point by point.
///
/// Tolerance: issue 4 asks 1 % on spectra and totals; the decks agree to better than 1e-7, so the tests
/// hold 1e-4, which also catches a wrong minor generator (M scaling of one transistor's flicker noise) that
/// 1 % would hide in the totals. A value below a millionth of its vector's
/// largest value is compared against that floor only (generators whose transfer cancels to rounding, such
/// as a source resistor's noise seen across its own two nodes). Each test prints its largest relative error.
final class NoiseGoldenTests: XCTestCase {
    static let decks = [
        "bsim_cs", "bsim_opamp_follower", "bsim_unified_flicker", "cs_level1", "diode_bias", "opamp_follower", "rc_lowpass", "res_divider",
    ]

    func test_bsim_cs() throws { try checkNoiseGolden("bsim_cs") }
    func test_bsim_opamp_follower() throws { try checkNoiseGolden("bsim_opamp_follower") }
    /// noimod=3 (BSIM3's unified flicker model) in strong and weak inversion, in triode and for a PMOS with m=2.
    func test_bsim_unified_flicker() throws { try checkNoiseGolden("bsim_unified_flicker") }
    func test_cs_level1() throws { try checkNoiseGolden("cs_level1") }
    func test_diode_bias() throws { try checkNoiseGolden("diode_bias") }
    func test_opamp_follower() throws { try checkNoiseGolden("opamp_follower") }
    func test_rc_lowpass() throws { try checkNoiseGolden("rc_lowpass") }
    func test_res_divider() throws { try checkNoiseGolden("res_divider") }

    /// Every `noise/*.cir` has its reference and its test method above, and vice versa.
    func testEveryNoiseDeckHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.goldens.path)
        let decks = Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) })
        XCTAssertEqual(decks, Set(Self.decks), "Goldens/noise/*.cir and NoiseGoldenTests.decks differ")
        for deck in decks {
            XCTAssertTrue(files.contains("\(deck).raw"), "\(deck).cir has no reference \(deck).raw")
        }
    }

    /// The aicas 2025 noise testbench as a control block (`noise`, `setplot`, indexed and plot-qualified
    /// vectors, `echo $&`): what Miller prints matches ngspice's transcript (`control/<name>.out`) word for
    /// word, numbers within 0.1 % (issue 3's rule for testbench numbers).
    func test_control_opamp_noise() throws {
        let folder = Self.goldens.appendingPathComponent("control")
        let deck = try Deck.load(path: folder.appendingPathComponent("opamp_noise.cir").path)
        var output = ""
        try ControlSession(deck: deck) { output += $0 }.runBatch()
        let reference = try String(contentsOf: folder.appendingPathComponent("opamp_noise.out"), encoding: .utf8)
        let mine = ControlGoldenTests.comparable(output, title: deck.title)
        let theirs = ControlGoldenTests.comparable(reference, title: deck.title)
        XCTAssertEqual(mine.count, theirs.count, "--- miller\n\(mine.joined(separator: "\n"))\n--- ngspice\n\(theirs.joined(separator: "\n"))")
        var worst = 0.0
        for (a, e) in zip(mine, theirs) {
            let wa = ControlGoldenTests.words(a), we = ControlGoldenTests.words(e)
            guard wa.count == we.count else { XCTFail("'\(a)' vs ngspice '\(e)'"); continue }
            for (x, y) in zip(wa, we) {
                if let dx = Double(x), let dy = Double(y) {
                    if dy != 0 { worst = max(worst, abs(dx - dy) / abs(dy)) }
                    XCTAssertTrue(isClose(dx, dy, relative: 1e-3, absolute: 0), "\(dx) vs ngspice \(dy) in '\(a)' / '\(e)'")
                } else {
                    XCTAssertEqual(x.lowercased(), y.lowercased(), "'\(a)' vs ngspice '\(e)'")
                }
            }
        }
        print("noise testbench opamp_noise: largest relative difference in printed numbers " + String(format: "%.2e", worst))
    }

    static var goldens: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Goldens/noise")
    }

    static let relative = 1e-4

    /// ngspice writes `v(onoise_total)` (or `i(inoise_total)` for a current input) for the vector it calls
    /// `onoise_total`.
    static func canonical(_ name: String) -> String {
        let n = name.lowercased()
        if n.hasPrefix("v(") || n.hasPrefix("i("), n.hasSuffix(")") { return String(n.dropFirst(2).dropLast()) }
        return n
    }

    /// Runs a deck and compares its noise plots with ngspice's; returns the largest relative error seen.
    @discardableResult
    func checkNoiseGolden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let deckPath = Self.goldens.appendingPathComponent("\(name).cir").path
        let reference = try RawFile.read(path: Self.goldens.appendingPathComponent("\(name).raw").path)
        let plots: [Plot]
        do {
            plots = try Simulator(deck: try Deck.load(path: deckPath)).run()
        } catch {
            XCTFail("\(name): Miller failed: \(error)", file: file, line: line)
            return .infinity
        }
        // ngspice's raw file holds each analysis' spectra then integrated plot, analyses newest first;
        // regrouped, the reference is in run order, like Miller's plots.
        var analyses: [[Plot]] = []
        for plot in reference where RawFile.kind(of: plot) == "noise" {
            if plot.title.lowercased().hasPrefix("integrated"), !analyses.isEmpty {
                analyses[analyses.count - 1].append(plot)
            } else {
                analyses.append([plot])
            }
        }
        let expected = Array(analyses.reversed().joined())
        let actual = plots.filter { RawFile.kind(of: $0) == "noise" }
        XCTAssertEqual(actual.map(\.title), expected.map(\.title), "\(name): noise plots differ", file: file, line: line)
        var worst = 0.0, place = "-", count = 0
        for (index, (e, a)) in zip(expected, actual).enumerated() {
            let context = "\(name) noise\(index + 1)"
            var mine: [String: Vector] = [:]
            for v in a.vectors { mine[Self.canonical(v.name)] = v }
            XCTAssertEqual(a.vectors.count, e.vectors.count, "\(context): vector count", file: file, line: line)
            for vector in e.vectors {
                guard let ours = mine[Self.canonical(vector.name)] else {
                    XCTFail("\(context): vector \(vector.name) missing (has: \(a.vectors.map(\.name).joined(separator: " ")))",
                            file: file, line: line)
                    continue
                }
                XCTAssertEqual(ours.type, vector.type, "\(context): \(vector.name) type", file: file, line: line)
                let er = GoldenTests.parts(vector.values).0, ar = GoldenTests.parts(ours.values).0
                guard er.count == ar.count else {
                    XCTFail("\(context): \(vector.name) has \(ar.count) points in Miller, \(er.count) in ngspice",
                            file: file, line: line)
                    continue
                }
                let floor = 1e-6 * (er.map(abs).max() ?? 0) + 1e-30
                var failures = 0
                for k in 0..<er.count {
                    count += 1
                    let size = max(abs(ar[k]), abs(er[k]))
                    if size > floor, abs(ar[k] - er[k]) / size > worst {
                        worst = abs(ar[k] - er[k]) / size; place = "\(context) \(vector.name)[\(k)]"
                    }
                    if isClose(ar[k], er[k], relative: Self.relative, absolute: floor) { continue }
                    failures += 1
                    if failures <= 5 {
                        let at = e.vectors.first.map { "\($0.name)=\(GoldenTests.parts($0.values).0[k])" } ?? ""
                        XCTFail("\(context): \(vector.name)[\(k)] (\(at)): Miller \(ar[k]), ngspice \(er[k])",
                                file: file, line: line)
                    }
                }
            }
        }
        print("noise golden \(name): \(count) values compared, largest relative difference "
              + String(format: "%.2e", worst) + " (\(place))")
        return worst
    }
}
