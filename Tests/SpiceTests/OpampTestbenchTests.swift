import Foundation
import XCTest
import Spice
import TestSupport

/// The op-amp testbench proof of issues 3 and 4: the six measurements of the AICAS 2025 method (AC gain,
/// GBW and phase margin; slew rate; CMRR; PSRR; input-referred noise; supply current), written as ngspice
/// control blocks, on a level-1 op-amp (`l1_*`) and on a BSIM-lite op-amp with the p018 cards (`b18_*`).
///
/// Each deck in `Goldens/opamp-tb/` runs through `ControlSession` as `ngspice -b` would; every line it
/// prints is compared with ngspice 39's transcript (`<name>.out`, made by
/// `scripts/goldens/regenerate-opamp-tb.sh`). Numbers agree within 0.1 %, phases (vp, pm) within 0.05°;
/// every other word must match exactly. Lines that only say how ngspice ran (notes, gmin stepping, row
/// counts, the initial transient solution table) are left out on both sides.
final class OpampTestbenchTests: XCTestCase {
    static let decks = ["ac", "sr", "cmrr", "psrr", "noise", "idc"].flatMap { ["l1_\($0)", "b18_\($0)"] }

    static var folder: URL { Bundle.module.resourceURL!.appendingPathComponent("Goldens/opamp-tb") }

    func test_l1_ac() throws { try check("l1_ac") }
    func test_l1_sr() throws { try check("l1_sr") }
    func test_l1_cmrr() throws { try check("l1_cmrr") }
    func test_l1_psrr() throws { try check("l1_psrr") }
    func test_l1_noise() throws { try check("l1_noise") }
    func test_l1_idc() throws { try check("l1_idc") }
    func test_b18_ac() throws { try check("b18_ac") }
    func test_b18_sr() throws { try check("b18_sr") }
    func test_b18_cmrr() throws { try check("b18_cmrr") }
    func test_b18_psrr() throws { try check("b18_psrr") }
    func test_b18_noise() throws { try check("b18_noise") }
    func test_b18_idc() throws { try check("b18_idc") }

    func testEveryDeckHasATestAndAReference() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
        XCTAssertEqual(Set(files.filter { $0.hasSuffix(".cir") }.map { String($0.dropLast(4)) }), Set(Self.decks))
        for deck in Self.decks { XCTAssertTrue(files.contains("\(deck).out"), "\(deck).cir has no reference \(deck).out") }
    }

    /// Names whose values are phases in degrees, compared within 0.05° instead of 0.1 %.
    static let phaseNames: Set<String> = ["pm"]

    static func isPhase(_ name: String) -> Bool {
        phaseNames.contains(name) || name.hasPrefix("vp(") || name.hasPrefix("ph(")
    }

    /// The lines worth comparing: no banner, notes, gmin stepping, row counts or initial-solution table.
    static func comparable(_ text: String, title: String) -> [String] {
        let skipped = ["Note:", "Circuit:", "Doing analysis", "No. of Data Rows", "Error:", "Warning", "Trying gmin",
                       " Reference value", "\t"]
        var lines: [String] = []
        // ngspice prints the initial transient solution as a table ending at the first blank line after its rows.
        var inTable = false, tableHasRows = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed == "Initial Transient Solution" { inTable = true; tableHasRows = false; continue }
            if inTable {
                if trimmed.isEmpty { inTable = !tableHasRows } else if !trimmed.hasPrefix("-"), !trimmed.hasPrefix("Node") { tableHasRows = true }
                continue
            }
            if trimmed.isEmpty || trimmed == title { continue }
            if skipped.contains(where: { raw.hasPrefix($0) }) || raw.hasSuffix("failed!") { continue }
            lines.append(raw)
        }
        return lines
    }

    static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" || $0 == "," }).map(String.init)
    }

    /// Runs a deck through the public API and returns what it printed.
    static func transcript(_ name: String) throws -> (String, ControlSession) {
        let deck = try Deck.load(path: folder.appendingPathComponent("\(name).cir").path)
        var output = ""
        let session = ControlSession(deck: deck, directory: FileManager.default.temporaryDirectory.path) { output += $0 }
        try session.runBatch()
        return (output, session)
    }

    func check(_ name: String) throws {
        let output: String, session: ControlSession
        do {
            (output, session) = try Self.transcript(name)
        } catch let error as ControlError where error.kind == .unsupported {
            throw XCTSkip("\(name): needs an analysis this build does not have yet (tran/noise land from their branches): \(error)")
        }
        let reference = try String(contentsOf: Self.folder.appendingPathComponent("\(name).out"), encoding: .utf8)
        let title = session.deck.title
        let mine = Self.comparable(output, title: title), theirs = Self.comparable(reference, title: title)
        XCTAssertEqual(mine.count, theirs.count, "\(name): \(mine.count) lines vs ngspice's \(theirs.count)\n--- miller\n\(mine.joined(separator: "\n"))\n--- ngspice\n\(theirs.joined(separator: "\n"))")
        for (k, (a, e)) in zip(mine, theirs).enumerated() {
            let wa = Self.words(a), we = Self.words(e)
            guard wa.count == we.count else {
                XCTFail("\(name) line \(k + 1): '\(a)' vs ngspice '\(e)'"); continue
            }
            var label = ""
            for (x, y) in zip(wa, we) {
                if let dx = Double(x), let dy = Double(y) {
                    let close = Self.isPhase(label) ? abs(dx - dy) <= 0.05 : isClose(dx, dy, relative: 1e-3, absolute: 1e-15)
                    XCTAssertTrue(close, "\(name) line \(k + 1) (\(label)): \(dx) vs ngspice \(dy) in '\(a)' / '\(e)'")
                } else {
                    XCTAssertEqual(x.lowercased(), y.lowercased(), "\(name) line \(k + 1): '\(a)' vs ngspice '\(e)'")
                    label = y.lowercased()
                }
            }
        }
        XCTAssertEqual(session.failedMeasurements.count, 0, "\(name): failed measurements \(session.failedMeasurements)")
    }
}
