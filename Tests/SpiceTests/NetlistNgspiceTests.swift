import XCTest
import Spice

/// Cross-checks flattened names against a real ngspice, when one is installed (skipped otherwise).
final class NetlistNgspiceTests: XCTestCase {
    static let ngspice = ["/usr/bin/ngspice", "/usr/local/bin/ngspice"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The vector names ngspice writes for an operating point of `deck` (ASCII raw file).
    func ngspiceVectors(_ deck: String) throws -> Set<String> {
        guard let ngspice = Self.ngspice else { throw XCTSkip("ngspice not installed: cross-check skipped") }
        let dir = try temporaryDirectory()
        try deck.write(toFile: dir + "/deck.cir", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ngspice)
        p.arguments = ["-b", "-r", dir + "/out.raw", dir + "/deck.cir"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = ["SPICE_ASCIIRAWFILE": "1", "HOME": dir, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let raw = try String(contentsOfFile: dir + "/out.raw", encoding: .utf8)
        var names: Set<String> = []
        var inVariables = false
        for line in raw.split(separator: "\n") {
            if line.hasPrefix("Variables:") { inVariables = true; continue }
            if line.hasPrefix("Values:") { break }
            if inVariables {
                let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                if fields.count >= 2 { names.insert(String(fields[1])) }
            }
        }
        return names
    }

    /// What our flattened deck predicts: v(node) for every non-ground node, i(name) for every branch.
    func predictedVectors(_ deck: Deck) -> Set<String> {
        var names: Set<String> = []
        for e in deck.elements {
            for n in e.nodes where n != "0" { names.insert("v(\(n))") }
            switch e.kind {
            case .voltageSource, .inductor, .vcvs, .ccvs: names.insert("i(\(e.name))")
            default: break
            }
        }
        return names
    }

    func check(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let deck = try parseDeck(text)
        let theirs = try ngspiceVectors(text)
        XCTAssertFalse(theirs.isEmpty, "ngspice produced no vectors", file: file, line: line)
        XCTAssertEqual(predictedVectors(deck).sorted(), theirs.sorted(), file: file, line: line)
    }

    func testNestedInstancesAndControlledSources() throws {
        try check("""
        names
        .subckt inner p q rv=1k
        r5 p mid {rv}
        l6 mid q 1u
        .ends
        .subckt outer in out
        x2 in out inner rv=2k
        vsense out o2 0
        h1 o2 0 vsense 2
        f1 o2 0 vsense 3
        e1 e 0 in 0 2
        re e 0 1k
        .ends
        x1 1 0 outer
        xa 2 0 outer
        v1 1 0 dc 1
        v2 2 0 dc 2
        .op
        .end
        """)
    }

    func testLocalDefinitionsGlobalsAndGround() throws {
        try check("""
        names
        .global vdd
        .subckt s5 a
        .subckt s4 a
        .model dm d is=1e-14
        d1 a 0 dm
        r1 a vdd 1k
        r2 a gnd 1k
        .ends
        x7 a s4
        .ends
        x5 n4 s5
        vdd vdd 0 1
        i4 0 n4 1m
        .op
        .end
        """)
    }
}
