import Foundation
import XCTest
import Spice
import TestSupport

/// The control-language pieces real op-amp testbenches use beyond the basics: word operators, block
/// structures (`if`/`else`/`end`, `while`, `dowhile`, `repeat`, `foreach`, `break`, `continue`), complex
/// square roots, ngspice's `run` order, and their error messages. Expected values are ngspice 39's output for
/// the same lines.
final class OpampTestbenchLanguageTests: XCTestCase {
    static let rc = """
    rc low-pass
    v1 in 0 dc 1 ac 1
    r1 in out 1k
    c1 out 0 1u
    """

    func run(_ control: String, netlist: String = rc, loopLimit: Int? = nil) -> (ControlSession?, String, Error?) {
        let text = netlist + "\n.control\n" + control + "\n.endc\n.end\n"
        var output = ""
        do {
            let session = ControlSession(deck: try Deck.parse(text, file: "tb.cir"), directory: FileManager.default.temporaryDirectory.path) { output += $0 }
            if let loopLimit { session.maximumLoopPasses = loopLimit }
            do { try session.runBatch() } catch { return (session, output, error) }
            return (session, output, nil)
        } catch {
            return (nil, output, error)
        }
    }

    func testWordOperatorsMatchNgspice() throws {
        let (_, output, error) = run("""
        print 2 gt 1 and 3 lt 2 or not 0
        print 1 ge 1 le 2
        print 5 eq 5 ne 0
        print 1 & 0 | 1
        print 1 + 2 gt 2
        let gain = 79.8
        let ok = gain gt 60 and not (gain lt 70)
        print ok
        print 1 and 0
        print 0 or 0
        print 2 ne 2
        print 3 le 2
        print 4 ge 5
        print 6 eq 6
        let gate = 1
        let anda = gate
        print anda
        """)
        XCTAssertNil(error)
        XCTAssertEqual(output, """
        2 gt 1 and 3 lt 2 or not 0 = 1.000000e+00
        1 ge 1 le 2 = 1.000000e+00
        5 eq 5 ne 0 = 1.000000e+00
        1 & 0 | 1 = 1.000000e+00
        1 + 2 gt 2 = 1.000000e+00
        ok = 1.000000e+00
        1 and 0 = 0.000000e+00
        0 or 0 = 0.000000e+00
        2 ne 2 = 0.000000e+00
        3 le 2 = 0.000000e+00
        4 ge 5 = 0.000000e+00
        6 eq 6 = 1.000000e+00
        anda = 1.000000e+00

        """)
    }

    func testSquareRootOfNegativeRealsIsComplexAndLogIsAnError() {
        let (_, output, error) = run("let a = -4\nprint sqrt(a) sqrt(4)\nlet h = sqrt(a) * sqrt(a)\nprint h")
        XCTAssertNil(error)
        XCTAssertEqual(output, "sqrt(a) = 0.000000e+00,2.000000e+00\nsqrt(4) = 2.000000e+00\nh = -4.00000e+00,0.000000e+00\n")
        let (_, _, logError) = run("print ln(-1)")
        XCTAssertEqual((logError as? ControlError)?.description, "tb.cir:6: error: argument out of range for ln: -1.0")
    }

    /// ngspice 39 runs a deck's analyses by kind (ac, dc, op, tran, noise) and, within a kind, the last card
    /// first: with `.op .dc .ac dec 1 .ac dec 2`, ac1 has the dec-2 sweep's three points.
    func testRunOrderIsNgspices() throws {
        let netlist = Self.rc + "\n.op\n.dc v1 0 1 0.5\n.ac dec 1 1 10\n.ac dec 2 1 10"
        let (session, _, error) = run("run", netlist: netlist)
        XCTAssertNil(error)
        let plots = try XCTUnwrap(session).plots
        XCTAssertEqual(plots.map(\.name), ["const", "ac1", "ac2", "dc1", "op1"])
        XCTAssertEqual(plots[1].vectors.first?.values.count, 3)
        XCTAssertEqual(plots[2].vectors.first?.values.count, 2)
        XCTAssertEqual(ControlSession.runOrder([.op, .ac(FrequencySweep(kind: .dec, points: 1, start: 1, stop: 10))]).count, 2)
    }

    func testBlocksRunAsNgspiceRunsThem() {
        let (_, output, error) = run("""
        let n = 0
        repeat 3
          let n = n + 1
          if n eq 2
            continue
          end
          echo "pass $&n"
        end
        dowhile n gt 10
          let n = n - 1
        end
        echo n is $&n
        let k = 0
        while k lt 100
          let k = k + 1
          if k ge 3
            break
          end
        end
        echo k is $&k
        foreach level 0.18 0.9
          echo "level $level"
        end
        if k gt 2
          echo "  indented"
        else
          echo never
        end
        if 0
          echo never
        end
        """)
        XCTAssertNil(error)
        XCTAssertEqual(output, "pass 1\npass 3\nn is 2\nk is 3\nlevel 0.18\nlevel 0.9\n  indented\n")
    }

    func testBlockErrorsNameTheLine() {
        let (_, _, e1) = run("echo a\nend")
        XCTAssertEqual((e1 as? ControlError)?.description, "tb.cir:7: error: 'end' without a matching 'if' or loop")
        let (_, _, e2) = run("if 1\necho a")
        XCTAssertEqual((e2 as? ControlError)?.description, "tb.cir:6: error: 'if' has no matching 'end'")
        let (_, out3, e3) = run("if 1\nframbozle\nend")
        XCTAssertEqual((e3 as? ControlError)?.description, "tb.cir:7: error: unknown control command 'frambozle'")
        XCTAssertEqual(out3, "")
        let (_, _, e4) = run("let k = 0\nwhile 1\nlet k = k + 1\nend", loopLimit: 50)
        XCTAssertEqual((e4 as? ControlError)?.description, "tb.cir:7: error: loop made 50 passes without ending")
        let (_, _, e5) = run("repeat\nlet k = 1\nend", loopLimit: 20)
        XCTAssertEqual((e5 as? ControlError)?.kind, .syntax)
        let (_, _, e6) = run("while\nend")
        XCTAssertEqual((e6 as? ControlError)?.description, "tb.cir:6: error: 'while' needs a condition")
        let (_, _, e7) = run("if novector gt 1\nend")
        XCTAssertEqual((e7 as? ControlError)?.location?.description, "tb.cir:6")
    }
}
