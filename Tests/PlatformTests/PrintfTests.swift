import Foundation
import Platform
import XCTest

/// `String(printf:)` against Foundation's `String(format:)`, which it replaces, on the conversions the
/// project uses; and the other Foundation stand-ins.
final class PrintfTests: XCTestCase {
    func testDoublesMatchFoundation() {
        let formats = ["%e", "%.6e", "%.5e", "%.15e", "%g", "%.3g", "%.4g", "%.12g", "%.6G", "%15g", "% .8e ",
                       "%.1f", "%.0f", "%5.1f", "%-5g", "%.2f ± %.2f", "x=%g;", "%%%.1f%%"]
        let values: [Double] = [0, -0.0, 1, -1, 3.14159265358979, 1e-300, -2.5e17, 123456.789, 0.5, 1.5, 2.5,
                                .infinity, -.infinity, .nan, 1e100, 6.02214076e23]
        for f in formats {
            for v in values {
                let args: [CVarArg] = Array(repeating: v, count: f.filter { $0 == "%" }.count)
                XCTAssertEqual(String(printf: f, v, v), String(format: f, arguments: args), "format \(f) value \(v)")
            }
        }
    }

    func testIntegersAndTextMatchFoundation() {
        XCTAssertEqual(String(printf: "%d iterations, %d simulations, %.1f s", 12, -3, 0.25),
                       String(format: "%d iterations, %d simulations, %.1f s", 12, -3, 0.25))
        XCTAssertEqual(String(printf: "[%5.1fs] it %2d  stage %-3@ ", 1.25, 7, "I"),
                       String(format: "[%5.1fs] it %2d  stage %-3@ ", 1.25, 7, "I"))
        XCTAssertEqual(String(printf: "%@ %@ W=%g L=%g µm: %d (%.2g)", "nfet", "tt", 5.0, 0.15, 42, 1e-3),
                       String(format: "%@ %@ W=%g L=%g µm: %d (%.2g)", "nfet", "tt", 5.0, 0.15, 42, 1e-3))
        XCTAssertEqual(String(printf: "%ld %5d %-5d| %x %X %o %u", 1 << 40, 42, 42, 255, 255, 8, 7),
                       String(format: "%ld %5d %-5d| %x %X %o %u", 1 << 40, 42, 42, 255, 255, 8, 7))
        XCTAssertEqual(String(printf: "%s!", "text"), "text!")
        XCTAssertEqual(String(printf: "[%-6s|%4s]", "ab", "c"), "[ab    |   c]")
    }

    func testMissingArgumentsAreCopiedNotRead() {
        XCTAssertEqual(String(printf: "%d and %g", 1), "1 and %g")
        XCTAssertEqual(String(printf: "%*d", 3, 4), "%*d")
        XCTAssertEqual(String(printf: "100%"), "100%")
        XCTAssertEqual(String(printf: "%.3e", 123456.0), "1.235e+05")
    }

    func testTrimmingMatchesFoundation() {
        for s in ["  a b  ", "\ta\t", "", "   ", "x", " \u{00A0}y\u{2003} ", "a\n", " \n b \n "] {
            XCTAssertEqual(s.trimmingWhitespace(), s.trimmingCharacters(in: .whitespaces), "'\(s)'")
            XCTAssertEqual(s[...].trimmingWhitespace(), s.trimmingCharacters(in: .whitespaces))
        }
    }

    func testPaddingMatchesFoundation() {
        for (s, n) in [("gain", 12), ("a-very-long-name", 7), ("", 3), ("µA", 4)] {
            XCTAssertEqual(s.padded(toLength: n), s.padding(toLength: n, withPad: " ", startingAt: 0))
        }
    }

    func testLockAndThreads() {
        let lock = Lock()
        let done = Condition()
        final class Counter: @unchecked Sendable { var value = 0; var finished = 0 }
        let counter = Counter()
        for _ in 0..<4 {
            XCTAssertTrue(startThread {
                for _ in 0..<1000 { lock.withLock { counter.value += 1 } }
                done.lock(); counter.finished += 1; done.broadcast(); done.unlock()
            })
        }
        done.lock()
        while counter.finished < 4 { done.wait() }
        done.unlock()
        XCTAssertEqual(lock.withLock { counter.value }, 4000)
    }
}
