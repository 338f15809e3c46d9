import Foundation
import XCTest
import Spice

/// Seeded mutations of the golden decks' control blocks and `.meas` cards, run through the expression
/// parser, the measurement parser and the interpreter (on a synthetic AC plot, so no analysis runs):
/// every case must end in a result or a typed error, never a crash or a hang.
final class ControlFuzzTests: XCTestCase {
    /// SplitMix64, so every run sees the same cases.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array("()[]=,+-*/^%<>!'\"$&@#.:; \t0123456789eEkmMgvVidbpx_lastrisefalcro")
    /// Commands that would run an analysis or touch files: their arguments are fuzzed through the
    /// parsers, not executed.
    static let notExecuted: Set<String> = ["run", "op", "ac", "dc", "tran", "noise", "wrdata", "write", "echo", "compose"]

    func seeds() throws -> [String] {
        let folder = Bundle.module.resourceURL!.appendingPathComponent("Goldens/control")
        var lines: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".cir") {
            let deck = try Deck.load(path: folder.appendingPathComponent(name).path)
            lines += deck.controlLines.map(\.text)
            lines += deck.measurements.map { "meas" + $0.text.drop { !$0.isWhitespace } }
        }
        lines += ["let q = (1 + j(2)) * v(out)[2,5] ^ 2 - db(-v(out)) / 3", "print q mean(q) length(q)",
                  "compose c start=1 stop=100 dec=3", "set units=degrees", "setplot ac1", "destroy all"]
        return lines
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
