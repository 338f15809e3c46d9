import Foundation
import XCTest
import Spice
import TestSupport

/// BSIM-lite against ngspice 39's `level=8 version=3.3.0` on the same cards: every deck in `Goldens/bsim/`
/// simulated by Miller and compared point by point with its ngspice raw file (made by
/// `scripts/goldens/regenerate.sh`).
///
/// Tolerances (issue 4): currents 0.1 % or 1 pA; operating-point quantities (`@m1[gm]`, caps) 0.5 %;
/// node voltages 0.1 % or 1 µV; AC magnitude 0.1 dB and phase 0.2°. Each test prints the largest relative
/// error it saw per quantity class, so the margins are visible in the log.
final class BSIMGoldenTests: XCTestCase {
    static let decks = [
        "binned", "ctm_cs_ac", "ctm_op", "modes", "modes_op", "p013_cs_ac", "p013_n_iv", "p013_n_temp",
        "p013_op", "p013_p_iv", "p013_p_temp", "p018_cs_ac", "p018_n_iv", "p018_n_temp",
        "p018_op", "p018_p_iv", "p018_p_temp", "p035_cs_ac", "p035_n_iv", "p035_n_temp",
        "p035_op", "p035_p_iv", "p035_p_temp", "p10_cs_ac", "p10_n_iv", "p10_n_temp",
        "p10_op", "p10_p_iv", "p10_p_temp",
    ]

    func test_binned() throws { try checkBSIMGolden("binned") }
    func test_ctm_cs_ac() throws { try checkBSIMGolden("ctm_cs_ac") }
    func test_ctm_op() throws { try checkBSIMGolden("ctm_op") }
    func test_modes() throws { try checkBSIMGolden("modes") }
    func test_modes_op() throws { try checkBSIMGolden("modes_op") }
    func test_p013_cs_ac() throws { try checkBSIMGolden("p013_cs_ac") }
    func test_p013_n_iv() throws { try checkBSIMGolden("p013_n_iv") }
    func test_p013_n_temp() throws { try checkBSIMGolden("p013_n_temp") }
    func test_p013_op() throws { try checkBSIMGolden("p013_op") }
    func test_p013_p_iv() throws { try checkBSIMGolden("p013_p_iv") }
    func test_p013_p_temp() throws { try checkBSIMGolden("p013_p_temp") }
    func test_p018_cs_ac() throws { try checkBSIMGolden("p018_cs_ac") }
    func test_p018_n_iv() throws { try checkBSIMGolden("p018_n_iv") }
    func test_p018_n_temp() throws { try checkBSIMGolden("p018_n_temp") }
    func test_p018_op() throws { try checkBSIMGolden("p018_op") }
    func test_p018_p_iv() throws { try checkBSIMGolden("p018_p_iv") }
    func test_p018_p_temp() throws { try checkBSIMGolden("p018_p_temp") }
    func test_p035_cs_ac() throws { try checkBSIMGolden("p035_cs_ac") }
    func test_p035_n_iv() throws { try checkBSIMGolden("p035_n_iv") }
    func test_p035_n_temp() throws { try checkBSIMGolden("p035_n_temp") }
    func test_p035_op() throws { try checkBSIMGolden("p035_op") }
    func test_p035_p_iv() throws { try checkBSIMGolden("p035_p_iv") }
    func test_p035_p_temp() throws { try checkBSIMGolden("p035_p_temp") }
    func test_p10_cs_ac() throws { try checkBSIMGolden("p10_cs_ac") }
    func test_p10_n_iv() throws { try checkBSIMGolden("p10_n_iv") }
    func test_p10_n_temp() throws { try checkBSIMGolden("p10_n_temp") }
    func test_p10_op() throws { try checkBSIMGolden("p10_op") }
    func test_p10_p_iv() throws { try checkBSIMGolden("p10_p_iv") }
    func test_p10_p_temp() throws { try checkBSIMGolden("p10_p_temp") }

    /// Every `bsim/*.cir` has its reference and its test method above, and vice versa.
    func testEveryBSIMDeckHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.goldens.path)
        let decks = Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) })
        XCTAssertEqual(decks, Set(Self.decks), "Goldens/bsim/*.cir and BSIMGoldenTests.decks differ")
        for deck in decks {
            XCTAssertTrue(files.contains("\(deck).raw"), "\(deck).cir has no reference \(deck).raw")
        }
    }

    /// Read from the source tree (the decks and references are committed beside this file).
    static var goldens: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens/bsim")
    }

    /// Largest relative error seen per quantity class in one deck (only where the expected value is above
    /// the class's absolute floor).
    struct Margins {
        var current = 0.0, voltage = 0.0, opQuantity = 0.0, magnitudeDB = 0.0, phaseDegrees = 0.0
    }

    func checkBSIMGolden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let deckPath = Self.goldens.appendingPathComponent("\(name).cir").path
        let reference = try RawFile.read(path: Self.goldens.appendingPathComponent("\(name).raw").path)
        let simulator: Simulator
        let plots: [Plot]
        do {
            simulator = try Simulator(deck: try Deck.load(path: deckPath))
            plots = try simulator.run()
        } catch {
            return XCTFail("\(name): Miller failed: \(error)", file: file, line: line)
        }
        XCTAssertEqual(simulator.warnings, [], "\(name): the golden cards use only supported parameters", file: file, line: line)
        let expectedByKind = Dictionary(grouping: reference.reversed(), by: { RawFile.kind(of: $0) })
        let actualByKind = Dictionary(grouping: plots, by: { RawFile.kind(of: $0) })
        XCTAssertEqual(actualByKind.mapValues(\.count), expectedByKind.mapValues(\.count),
                       "\(name): plots per kind differ", file: file, line: line)
        var margins = Margins()
        for (kind, expectedPlots) in expectedByKind.sorted(by: { $0.key < $1.key }) {
            for (index, (expected, actual)) in zip(expectedPlots, actualByKind[kind] ?? []).enumerated() {
                compare(actual, expected, simulator: simulator, margins: &margins,
                        context: "\(name) \(kind)\(index + 1)", file: file, line: line)
            }
        }
        print(String(format: "BSIM golden %@: max rel. error current %.2e, voltage %.2e, op quantity %.2e; AC |dB| %.1e, phase %.1e°",
                     name, margins.current, margins.voltage, margins.opQuantity, margins.magnitudeDB, margins.phaseDegrees))
    }

    private func compare(_ actual: Plot, _ expected: Plot, simulator: Simulator, margins: inout Margins,
                         context: String, file: StaticString, line: UInt) {
        var actualByName: [String: Vector] = [:]
        for vector in actual.vectors { actualByName[GoldenTests.canonical(vector.name)] = vector }
        let scale = expected.vectors.first
        for vector in expected.vectors {
            let (er, ei) = GoldenTests.parts(vector.values)
            // `@m1[gm]`: an operating-point quantity, read from the device after the run.
            // ngspice writes them as `@m1[gm]`, `i(@m1[id])` or `v(@m1[vth])`.
            var opName = vector.name
            if opName.hasPrefix("i(@") || opName.hasPrefix("v(@") { opName = String(opName.dropFirst(2).dropLast()) }
            if opName.hasPrefix("@") {
                guard let open = opName.firstIndex(of: "["), opName.hasSuffix("]") else { continue }
                let device = String(opName[opName.index(after: opName.startIndex)..<open])
                let quantity = String(opName[opName.index(after: open)..<opName.index(before: opName.endIndex)])
                guard let value = simulator.deviceParameter(device, quantity) else {
                    XCTFail("\(context): Miller has no \(vector.name)", file: file, line: line); continue
                }
                let e = er.last ?? 0
                let floor = quantity.hasPrefix("c") && quantity != "cd" ? 1e-18 : 1e-12
                if abs(e) > floor { margins.opQuantity = max(margins.opQuantity, abs(value - e) / abs(e)) }
                if !isClose(value, e, relative: 5e-3, absolute: floor) {
                    XCTFail("\(context): \(vector.name): Miller \(value), ngspice \(e)", file: file, line: line)
                }
                continue
            }
            guard let mine = actualByName[GoldenTests.canonical(vector.name)] else {
                XCTFail("\(context): vector \(vector.name) missing from Miller's plot", file: file, line: line); continue
            }
            let (ar, ai) = GoldenTests.parts(mine.values)
            guard er.count == ar.count else {
                XCTFail("\(context): \(vector.name) has \(ar.count) points in Miller, \(er.count) in ngspice", file: file, line: line)
                continue
            }
            var complex = false
            if case .complex = mine.values { complex = true }
            var failures = 0
            for k in 0..<er.count {
                let ok: Bool
                switch vector.type {
                case .frequency:
                    ok = isClose(ar[k], er[k], relative: 1e-9, absolute: 0)
                case _ where complex:
                    let me = (er[k] * er[k] + ei[k] * ei[k]).squareRoot(), ma = (ar[k] * ar[k] + ai[k] * ai[k]).squareRoot()
                    let db = abs(20 * log10(max(ma, 1e-300) / max(me, 1e-300)))
                    var dphase = abs(atan2(ai[k], ar[k]) - atan2(ei[k], er[k])) * 180 / .pi
                    if dphase > 180 { dphase = 360 - dphase }
                    // Tiny magnitudes (a node pinned to ground) compare absolutely.
                    if me < 1e-9 && ma < 1e-9 { ok = true; break }
                    margins.magnitudeDB = max(margins.magnitudeDB, db)
                    margins.phaseDegrees = max(margins.phaseDegrees, dphase)
                    ok = db <= 0.1 && dphase <= 0.2
                case .current:
                    if abs(er[k]) > 1e-12 { margins.current = max(margins.current, abs(ar[k] - er[k]) / abs(er[k])) }
                    ok = isClose(ar[k], er[k], relative: 1e-3, absolute: 1e-12)
                default:
                    if abs(er[k]) > 1e-6 { margins.voltage = max(margins.voltage, abs(ar[k] - er[k]) / abs(er[k])) }
                    ok = isClose(ar[k], er[k], relative: 1e-3, absolute: 1e-6)
                }
                if ok { continue }
                failures += 1
                guard failures <= 5 else { continue }
                let at = scale.map { s in "\(s.name)=\(GoldenTests.parts(s.values).0[k])" } ?? ""
                XCTFail("\(context): \(vector.name) at point \(k) (\(at)): Miller \(ar[k]) \(ai[k])j, ngspice \(er[k]) \(ei[k])j",
                        file: file, line: line)
            }
            if failures > 5 {
                XCTFail("\(context): \(vector.name): \(failures) of \(er.count) points differ in all", file: file, line: line)
            }
        }
    }
}
