import Foundation
import XCTest
import Spice
import TestSupport

/// Control-block and measurement goldens: each deck in `Goldens/control/` runs through `ControlSession`
/// as `ngspice -b` would, and what it prints is compared, line by line, with ngspice 39's transcript
/// (`<name>.out`, made by `scripts/goldens/regenerate-control.sh`).
///
/// Lines that only say how ngspice ran (notes, "Doing analysis", row counts, table title lines) are left
/// out on both sides, and so are error lines (ngspice writes them to stderr, so the transcript lacks
/// them; failures are checked through `failedMeasurements`). Numbers compare with the one rule,
/// `isClose(relative: 1e-4, absolute: 1e-10)`; every other word must match exactly.
final class ControlGoldenTests: XCTestCase {
    static let decks = ["control_cmrr", "control_dc", "control_idc", "control_opamp_ac", "control_psrr", "control_vectors", "meas_ac", "meas_dc"]

    static var folder: URL { Bundle.module.resourceURL!.appendingPathComponent("Goldens/control") }

    func test_control_cmrr() throws { try check("control_cmrr") }
    func test_control_dc() throws { try check("control_dc") }
    func test_control_idc() throws { try check("control_idc") }
    func test_control_opamp_ac() throws { try check("control_opamp_ac") }
    func test_control_psrr() throws { try check("control_psrr") }
    func test_control_vectors() throws { try check("control_vectors") }
    func test_meas_ac() throws { try check("meas_ac") }
    func test_meas_dc() throws { try check("meas_dc", failed: ["never"]) }

    func testEveryDeckHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        let decks = Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) })
        XCTAssertEqual(decks, Set(Self.decks))
        for deck in decks { XCTAssertTrue(files.contains("\(deck).out"), "\(deck).cir has no reference \(deck).out") }
    }

    /// Runs a deck and returns what it printed.
    static func transcript(_ name: String) throws -> (String, ControlSession) {
        let deck = try Deck.load(path: folder.appendingPathComponent("\(name).cir").path)
        var output = ""
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("miller-control-\(name)").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let session = ControlSession(deck: deck, directory: directory) { output += $0 }
        try session.runBatch()
        return (output, session)
    }

    /// Plot title lines ngspice prints above a table (the date after them is dropped first).
    static let plotTitles: Set<String> = ["AC Analysis", "DC transfer characteristic", "Operating Point",
                                          "Transient Analysis", "Noise Spectral Density Curves", "Constant values"]

    /// The lines worth comparing.
    static func comparable(_ text: String, title: String) -> [String] {
        let skipped = ["Note:", "Circuit:", "Doing analysis", "No. of Data Rows", "Error:", "Warning", "Trying gmin", "\t"]
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init).compactMap { raw in
            let line = raw.replacingOccurrences(of: #"  \w{3} \w{3} +\d+ [\d:]{8}  \d{4}$"#, with: "", options: .regularExpression)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed == title || plotTitles.contains(trimmed) { return nil }
            if skipped.contains(where: { line.hasPrefix($0) }) || line.hasSuffix("failed!") { return nil }
            return line
        }
    }

    static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" || $0 == "," }).map(String.init)
    }

    func check(_ name: String, failed: [String] = []) throws {
        let (output, session) = try Self.transcript(name)
        let reference = try String(contentsOf: Self.folder.appendingPathComponent("\(name).out"), encoding: .utf8)
        let title = session.deck.title
        let mine = Self.comparable(output, title: title), theirs = Self.comparable(reference, title: title)
        XCTAssertEqual(mine.count, theirs.count, "\(name): \(mine.count) lines vs ngspice's \(theirs.count)\n--- miller\n\(mine.joined(separator: "\n"))\n--- ngspice\n\(theirs.joined(separator: "\n"))")
        for (k, (a, e)) in zip(mine, theirs).enumerated() {
            let wa = Self.words(a), we = Self.words(e)
            guard wa.count == we.count else {
                XCTFail("\(name) line \(k + 1): '\(a)' vs ngspice '\(e)'"); continue
            }
            for (x, y) in zip(wa, we) {
                if let dx = Double(x), let dy = Double(y) {
                    XCTAssertTrue(isClose(dx, dy, relative: 1e-4, absolute: 1e-10),
                                  "\(name) line \(k + 1): \(dx) vs ngspice \(dy) in '\(a)' / '\(e)'")
                } else {
                    XCTAssertEqual(x.lowercased(), y.lowercased(), "\(name) line \(k + 1): '\(a)' vs ngspice '\(e)'")
                }
            }
        }
        XCTAssertEqual(session.failedMeasurements.count, failed.count, "\(name): failed measurements \(session.failedMeasurements)")
        for (error, expected) in zip(session.failedMeasurements, failed) {
            XCTAssertEqual(error.kind, .measurementFailed)
            XCTAssertTrue(error.description.contains("'\(expected)'"), error.description)
        }
    }
}
