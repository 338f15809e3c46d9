import Foundation
import XCTest
import TestSupport
import Spice

/// Seeded mutations of the golden decks' control blocks and `.meas` cards, run through the expression
/// parser, the measurement parser and the interpreter (on a synthetic AC plot, so no analysis runs):
/// every case must end in a result or a typed error, never a crash or a hang.
final class ControlFuzzTests: XCTestCase {
    /// SplitMix64, so every run sees the same cases.
    typealias Generator = SplitMix

    static let alphabet = Array("()[]=,+-*/^%<>!|'\"$&@#.:; \t0123456789eEkmMgvVidbpx_lastrisefalcrond")
    /// Commands that would run an analysis or touch files: their arguments are fuzzed through the
    /// parsers, not executed.
    static let notExecuted: Set<String> = ["run", "op", "ac", "dc", "tran", "noise", "wrdata", "write", "echo", "compose"]

    func seeds() throws -> [String] {
        var lines: [String] = []
        for folder in ["Goldens/control", "Goldens/opamp-tb"].map({ Bundle.module.resourceURL!.appendingPathComponent($0) }) {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".cir") {
                let deck = try Deck.load(path: folder.appendingPathComponent(name).path)
                lines += deck.controlLines.map(\.text)
                lines += deck.measurements.map { "meas" + $0.text.drop { !$0.isWhitespace } }
            }
        }
        lines += ["let q = (1 + j(2)) * v(out)[2,5] ^ 2 - db(-v(out)) / 3", "print q mean(q) length(q)",
                  "compose c start=1 stop=100 dec=3", "set units=degrees", "setplot ac1", "destroy all",
                  "let w = vdb(out) gt -3 and not (vp(out) lt -1) or 1 ne 2 & 3 ge 3 | 0 le sqrt(-2)"]
        return lines
    }

    /// Whole blocks (`if`/`else`/`end`, loops, `break`, `continue`) from the testbench decks, mutated line
    /// by line and run through `run(_:)`: a result or a typed error naming a line, never a crash or a hang.
    func testMutatedControlBlocksNeverCrashOrHang() throws {
        let folder = Bundle.module.resourceURL!.appendingPathComponent("Goldens/opamp-tb")
        var blocks: [[Card]] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".cir") {
            blocks.append(try Deck.load(path: folder.appendingPathComponent(name).path).controlLines)
        }
        var runnable: [[String]] = []
        runnable.append(["let g = vdb(out)", "if g[0] gt -1 and not (g[2] lt -40)", "echo ok $&g", "else", "echo low",
                         "end", "foreach x 1 2", "let y = sqrt(-$x) * g", "print y[1] real(y) ge 0 or 1", "end"])
        runnable.append(["let k = 0", "while k lt 5", "let k = k + 1", "if k eq 2", "continue", "else", "let z = k",
                       "end", "end", "foreach v 1 2 3", "repeat 2", "break", "end", "end", "dowhile k gt 9", "end"])
        let synthetic = runnable.map { $0.enumerated().map { Card(text: $0.element, location: SourceLocation(file: "fuzz.cir", line: $0.offset + 1)) } }
        let plot = Plot(name: "ac1", title: "AC Analysis", vectors: [
            Vector(name: "frequency", type: .frequency, values: .complex(re: [1, 10, 100], im: [0, 0, 0])),
            Vector(name: "v(out)", type: .voltage, values: .complex(re: [1, 0.7, 0.1], im: [0, -0.5, -0.3])),
        ])
        var g = Generator(state: 0x424C_4F43_4B53)
        var errors = 0, successes = 0
        for _ in 0..<3_000 {
            // Half the cases start from blocks that run on this plot, half from the testbench decks.
            let pool = Bool.random(using: &g) ? synthetic : blocks
            var lines = pool[Int.random(in: 0..<pool.count, using: &g)]
            for _ in 0..<Int.random(in: 1...3, using: &g) where !lines.isEmpty {
                let at = Int.random(in: 0..<lines.count, using: &g)
                lines[at].text = mutate(lines[at].text, &g)
            }
            // Analyses and file output are not run here: their lines become comments.
            for k in lines.indices {
                let word = lines[k].text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
                if Self.notExecuted.contains(word) || lines[k].text.contains(">") { lines[k].text = "* " + lines[k].text }
            }
            let session = ControlSession(deck: Deck(title: "fuzz")) { _ in }
            session.maximumLoopPasses = 200
            session.add(plot)
            do {
                try session.run(lines)
                successes += 1
            } catch let error as ControlError {
                XCTAssertNotNil(error.location, "block errors name a line: \(error)")
                errors += 1
            } catch is SimulationError {
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, 100, "mutations should mostly break blocks")
        XCTAssertGreaterThan(successes, 20, "some mutated blocks should still run")
    }

    func mutate(_ line: String, _ g: inout Generator) -> String {
        var chars = Array(line)
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let op = Int.random(in: 0..<5, using: &g)
            let at = chars.isEmpty ? 0 : Int.random(in: 0..<chars.count, using: &g)
            switch op {
            case 0 where !chars.isEmpty: chars.remove(at: at)
            case 1: chars.insert(Self.alphabet.randomElement(using: &g)!, at: at)
            case 2 where !chars.isEmpty: chars[at] = Self.alphabet.randomElement(using: &g)!
            case 3 where !chars.isEmpty:
                let end = min(chars.count, at + Int.random(in: 1...8, using: &g))
                chars.insert(contentsOf: chars[at..<end], at: at)
            default:
                let end = min(chars.count, at + Int.random(in: 1...6, using: &g))
                if at < end { chars.removeSubrange(at..<end) }
            }
        }
        return String(chars)
    }

    func testMutatedControlLinesNeverCrash() throws {
        let seeds = try seeds()
        XCTAssertGreaterThan(seeds.count, 40)
        let frequencies = (0..<41).map { pow(10, Double($0) / 10) }
        let response = frequencies.map { 1 / (1 + $0 / 100) }
        let plot = Plot(name: "ac1", title: "AC Analysis", vectors: [
            Vector(name: "frequency", type: .frequency, values: .complex(re: frequencies, im: frequencies.map { _ in 0 })),
            Vector(name: "v(out)", type: .voltage, values: .complex(re: response, im: response.map { -$0 / 2 })),
            Vector(name: "v(in)", type: .voltage, values: .complex(re: response.map { _ in 1 }, im: response.map { _ in 0 })),
        ])
        var g = Generator(state: 0x4D49_4C4C_4552)
        var errors = 0, successes = 0
        var session = ControlSession(deck: Deck(title: "fuzz")) { _ in }
        session.add(plot)
        for k in 0..<100_000 {
            if k % 500 == 0 {
                session = ControlSession(deck: Deck(title: "fuzz")) { _ in }
                session.add(plot)
            }
            let line = mutate(seeds[Int.random(in: 0..<seeds.count, using: &g)], &g)
            let word = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
            do {
                if Self.notExecuted.contains(word) || !ControlSession.commands.contains(word) {
                    _ = try? Measure.parse(String(line.drop { !$0.isWhitespace }))
                    _ = try ControlExpression.parse(String(line.drop { !$0.isWhitespace }))
                } else {
                    try session.execute(line)
                }
                successes += 1
            } catch is ControlError {
                errors += 1
            } catch is SimulationError {
                errors += 1
            }
        }
        XCTAssertEqual(errors + successes, 100_000)
        XCTAssertGreaterThan(errors, 1000, "mutations should mostly break lines")
        XCTAssertGreaterThan(successes, 1000, "some mutations should still run")
    }
}
