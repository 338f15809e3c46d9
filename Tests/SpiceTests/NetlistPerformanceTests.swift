import XCTest
import Spice

/// Parses a large generated deck; the time is printed for BENCHMARKS.md, never asserted.
final class NetlistPerformanceTests: XCTestCase {
    /// A side×side RC mesh: resistors between neighbours, a capacitor from each node to ground.
    static func meshDeck(side: Int) -> String {
        var s = "rc mesh \(side)x\(side)\n.param rval=1k\nv1 n0_0 0 dc 1 ac 1\n"
        s.reserveCapacity(side * side * 60)
        for i in 0..<side {
            for j in 0..<side {
                if j + 1 < side { s += "rh\(i)_\(j) n\(i)_\(j) n\(i)_\(j + 1) 1k\n" }
                if i + 1 < side { s += "rv\(i)_\(j) n\(i)_\(j) n\(i + 1)_\(j) {rval}\n" }
                s += "c\(i)_\(j) n\(i)_\(j) 0 1p\n"
            }
        }
        s += ".tran 1n 1u\n.end\n"
        return s
    }

    func testLargeMesh() throws {
        let side = 317  // 100 489 nodes, about 300 000 lines
        let text = Self.meshDeck(side: side)
        let start = Date()
        let cpuStart = clock()
        let deck = try Deck.parse(text)
        let cpu = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(deck.elements.count, 1 + 2 * side * (side - 1) + side * side)
        print("netlist: parsed \(side * side)-node RC mesh (\(deck.elements.count) elements, \(text.utf8.count) bytes) in \(String(format: "%.3f", seconds)) s wall, \(String(format: "%.3f", cpu)) s CPU")
    }
}
