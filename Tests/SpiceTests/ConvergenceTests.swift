import Foundation
import XCTest
import Spice
import TestSupport

/// Op-amp testbenches whose operating point once failed to converge (issue 5's circuit comparison: the
/// follower benches in ss/fs/ff, the start-up node, the slew bench's initial point) now run, as ngspice 39
/// runs them, through its CKTop aids: dynamic gmin stepping, true gmin stepping, source stepping.
///
/// `Goldens/convergence/` holds the decks (scripts/signoff's bench text, the sizing inline), a frozen copy
/// of the sky130 card bins they use (`cards.lib`) and ngspice 39's results on those cards
/// (`expected.json`), all written by `scripts/goldens/make-convergence-decks.py`. With the frozen cards the
/// results must match ngspice; with the live `pdk/sky130/sky130.lib.spice` (refitted from time to time) they
/// must converge and stay sane next to the foundry models' value.
final class ConvergenceTests: XCTestCase {
    static var folder: URL { Bundle.module.resourceURL!.appendingPathComponent("Goldens/convergence") }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let decks = ["s03_noise_ss", "s06_cmrr_ss", "s09_psrr_fs", "s14_psrr_ff", "s17_slew_ff", "s18_cmrr_ss"]

    struct Expected: Decodable {
        var ngspice: [String: Double]
        var foundry: [String: Double]
    }

    static func expected() throws -> [String: Expected] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([String: Expected].self, from: data)
    }

    /// Runs a deck's text through the public API as `ngspice -b` would and returns its `RESULT name value` lines.
    static func results(_ text: String, file: String) throws -> [String: Double] {
        let deck = try Deck.parse(text, file: file, directory: folder.path)
        var output = ""
        let session = ControlSession(deck: deck, directory: FileManager.default.temporaryDirectory.path) { output += $0 }
        try session.runBatch()
        var values: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == "RESULT", let v = Double(words[2]) { values[String(words[1])] = v }
        }
        return values
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent("\(name).cir"), encoding: .utf8)
    }

    func testEveryDeckHasAnExpectedResult() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        XCTAssertEqual(Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) }), Set(Self.decks))
        XCTAssertEqual(Set(try Self.expected().keys), Set(Self.decks))
    }

    /// On the frozen cards every deck converges to ngspice's answer (dB within 0.01 dB, the rest 0.1 %).
    func testFrozenCardsMatchNgspice() throws {
        let expected = try Self.expected()
        for name in Self.decks {
            let ours = try Self.results(try Self.text(name), file: "\(name).cir")
            let reference = try XCTUnwrap(expected[name]?.ngspice, name)
            XCTAssertFalse(reference.isEmpty, name)
            for (metric, value) in reference {
                let got = try XCTUnwrap(ours[metric], "\(name): no \(metric) (output: \(ours))")
                let db = metric.hasSuffix("_db")
                XCTAssertTrue(isClose(got, value, relative: db ? 0 : 1e-3, absolute: db ? 0.01 : 0),
                              "\(name) \(metric): \(got), ngspice \(value)")
            }
        }
    }

    /// The same decks on the live cards: they converge, and the result is finite and within broad bounds
    /// of the foundry models' value (dB metrics within 30 dB, slew rate within a factor 2, noise positive).
    func testLiveCardsConverge() throws {
        let library = Self.root + "/pdk/sky130/sky130.lib.spice"
        guard FileManager.default.fileExists(atPath: library) else {
            throw XCTSkip("pdk/sky130/sky130.lib.spice not found at \(library)")
        }
        let expected = try Self.expected()
        for name in Self.decks {
            let text = try Self.text(name).replacingOccurrences(of: "\"cards.lib\"", with: "\"\(library)\"")
            let ours = try Self.results(text, file: "\(name).cir")
            for metric in try XCTUnwrap(expected[name]?.ngspice.keys, name) {
                let got = try XCTUnwrap(ours[metric], "\(name): no \(metric) on the live cards (output: \(ours))")
                XCTAssertTrue(got.isFinite, "\(name) \(metric): \(got)")
                guard let foundry = expected[name]?.foundry[metric == "noise_uv_per_rthz" ? "noise_nv_per_rthz" : metric]
                else { continue }
                if metric.hasSuffix("_db") {
                    XCTAssertLessThan(abs(got - foundry), 30, "\(name) \(metric): \(got), foundry \(foundry)")
                } else if metric == "sr_v_per_us" {
                    XCTAssertTrue(got > foundry / 2 && got < foundry * 2, "\(name) \(metric): \(got), foundry \(foundry)")
                } else {
                    XCTAssertGreaterThan(got, 0, "\(name) \(metric)")
                }
            }
        }
    }

    /// `convergenceTrace` reports the aids a hard operating point took; a plain one reports nothing.
    func testConvergenceTraceNamesTheAids() throws {
        var text = try Self.text("s06_cmrr_ss")
        text = String(text[..<text.range(of: ".control")!.lowerBound]) + ".op\n.end\n"
        let sim = try Simulator(deck: try Deck.parse(text, file: "s06_cmrr_ss.cir", directory: Self.folder.path))
        var lines: [String] = []
        sim.convergenceTrace = { lines.append($0) }
        _ = try sim.operatingPoint()
        XCTAssertTrue(lines.first?.hasPrefix("plain Newton failed") == true, "\(lines.prefix(3))")
        XCTAssertTrue(lines.contains { $0.contains("gmin") && $0.contains("converged") }, "\(lines)")
        XCTAssertTrue(lines.last?.hasSuffix("converged") == true, "\(lines.suffix(3))")
        XCTAssertNotNil(sim.nodeVoltage("vout"))

        let easy = try Simulator(deck: try Deck.parse("divider\nv1 a 0 1\nr1 a b 1k\nr2 b 0 1k\n.op\n.end\n"))
        var quiet: [String] = []
        easy.convergenceTrace = { quiet.append($0) }
        _ = try easy.operatingPoint()
        XCTAssertEqual(quiet, [])
    }
}
