import Foundation
import XCTest
import Spice
import TestSupport

/// The control-block interpreter through its public API: commands, vectors, files, and every bad-input
/// message (unknown command, bad vector, failed measurement, analyses not provided yet).
final class ControlTests: XCTestCase {
    static let rc = """
    rc low-pass
    v1 in 0 dc 1 ac 1
    r1 in out 1k
    c1 out 0 1u
    """

    /// Runs a deck built from `rc` plus a control block; returns the session, what it printed and the error.
    func run(_ control: String, netlist: String = ControlTests.rc) -> (ControlSession, String, Error?) {
        let text = netlist + "\n.control\n" + control + "\n.endc\n.end\n"
        var output = ""
        let deck: Deck
        do { deck = try Deck.parse(text, file: "test.cir") } catch { XCTFail("parse: \(error)"); return (ControlSession(deck: Deck(title: "")) { _ in }, "", error) }
        let session = ControlSession(deck: deck, directory: temporaryDirectory()) { output += $0 }
        do { try session.runBatch(); return (session, output, nil) } catch { return (session, output, error) }
    }

    func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("miller-control-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func testUnknownCommandNamesTheLineBeforeAnythingRuns() {
        let (session, output, error) = run("op\nfrobnicate v(out)\nprint v(out)")
        let e = error as? ControlError
        XCTAssertEqual(e?.kind, .unknownCommand)
        XCTAssertEqual(e?.description, "test.cir:7: error: unknown control command 'frobnicate'")
        XCTAssertEqual(output, "", "nothing runs when a command is unknown")
        XCTAssertEqual(session.plots.count, 1)
    }

    func testBadVectorName() {
        let (_, _, error) = run("op\nprint v(nowhere)")
        let e = error as? ControlError
        XCTAssertEqual(e?.kind, .unknownVector)
        XCTAssertEqual(e?.description, "test.cir:7: error: no such vector 'v(nowhere)' in plot op1")
        let (_, _, error2) = run("op\nlet x = bogus + 1")
        XCTAssertEqual((error2 as? ControlError)?.message, "no such vector 'bogus' in plot op1")
        let (_, _, error3) = run("op\necho $&missing")
        XCTAssertEqual((error3 as? ControlError)?.kind, .unknownVector)
    }

    func testMeasurementThatNeverTriggersIsReportedAsFailed() {
        let (session, output, error) = run("ac dec 10 1 1meg\nmeas ac never when vdb(out)=500\nmeas ac ok when vdb(out)=-3\necho $&ok")
        XCTAssertNil(error)
        XCTAssertTrue(output.contains(" meas ac never when vdb(out)=500 failed!\n"), output)
        XCTAssertEqual(session.failedMeasurements.count, 1)
        XCTAssertEqual(session.failedMeasurements.first?.kind, .measurementFailed)
        XCTAssertTrue(session.failedMeasurements.first?.description.contains("measurement 'never' failed") == true)
        XCTAssertNil(session.measurements["never"])
        // The -3 dB point of 1 kΩ · 1 µF is 159.15 Hz (linear interpolation on a 10-per-decade grid).
        XCTAssertTrue(isClose(session.measurements["ok"]!, 1 / (2 * Double.pi * 1e-3), relative: 0.05, absolute: 0))
        // A later reference to the failed result is a bad vector.
        let (_, _, error2) = run("ac dec 10 1 1meg\nmeas ac never when vdb(out)=500\necho $&never")
        XCTAssertEqual((error2 as? ControlError)?.kind, .unknownVector)
    }

    func testTransientAndNoiseGoThroughOneDispatchPoint() {
        let (session, _, error) = run("tran 1n 1u")
        XCTAssertNil(error)
        XCTAssertEqual(session.currentPlot.name, "tran1")
        let (session2, _, error2) = run("noise v(out) v1 dec 10 1 1meg")
        XCTAssertNil(error2)
        XCTAssertEqual(session2.plots.map(\.name), ["const", "noise1", "noise2"])
    }

    func testSyntaxErrors() {
        for (line, fragment) in [("let = 3", "bad vector name"), ("print 1 +", "expression ends early"),
                                 ("let x = (1", "expected ')'"), ("ac dec 10 1", "ac needs"),
                                 ("meas ac x frob v(out)", "unknown measurement 'frob'"),
                                 ("meas ac x find v(out)", "find needs 'at=' or 'when'"),
                                 ("compose c start=1", "needs stop="), ("print vdb(out)[5000]", "out of range")] {
            let (_, _, error) = run("ac dec 10 1 1meg\n" + line)
            guard let e = error as? ControlError else { XCTFail("\(line): no error"); continue }
            XCTAssertTrue(e.message.contains(fragment), "\(line): \(e.message)")
            XCTAssertEqual(e.location?.line, 7, line)
        }
    }

    func testPrintEchoAndSubstitutionFormats() {
        let (_, output, error) = run("op\nlet a = -0.000123456\nprint a\nprint 2 + 3\necho value $&a and $&pi\nset foo=bar\necho $foo")
        XCTAssertNil(error)
        XCTAssertEqual(output, "a = -1.23456e-04\n2 + 3 = 5.000000e+00\nvalue -0.000123456 and 3.14159\nbar\n")
    }

    func testUnitsDegreesAndComplexArithmetic() throws {
        let (session, _, error) = run("ac lin 1 159.15494309189535 159.15494309189535\nlet r = ph(v(out))\nset units=degrees\nlet d = vp(out)\nlet z = j(1) * j(1)\nlet q = v(out) * (1 + j(1))")
        XCTAssertNil(error)
        let r = try session.evaluate("r"), d = try session.evaluate("d"), z = try session.evaluate("z"), q = try session.evaluate("q")
        XCTAssertTrue(isClose(r.re[0], -Double.pi / 4, relative: 1e-9, absolute: 0))
        XCTAssertTrue(isClose(d.re[0], -45, relative: 1e-9, absolute: 0))
        XCTAssertEqual(z.re, [-1]); XCTAssertEqual(z.im, [0])
        // (0.5 - 0.5j)(1 + j) = 1
        XCTAssertTrue(isClose(q.re[0], 1, relative: 1e-9, absolute: 0))
        XCTAssertTrue(isClose(q.im![0], 0, relative: 0, absolute: 1e-12))
    }

    func testComparisonsIndexRangesAndPlotNames() throws {
        let (session, _, error) = run("op\nac dec 10 1 1k\nlet big = vm(out) >= 0.5\nlet r = vdb(out)[2,4]\nlet back = op1.v(out) + ac1.frequency[0]")
        XCTAssertNil(error)
        let big = try session.evaluate("big")
        XCTAssertEqual(big.count, 31)
        XCTAssertEqual(big.re.prefix(3), [1, 1, 1]); XCTAssertEqual(big.re.last, 0)
        XCTAssertEqual(try session.evaluate("r").count, 3)
        XCTAssertEqual(try session.evaluate("back").re, [2])
        XCTAssertEqual(try session.evaluate("length(ac1.frequency)").re, [31])
    }

    func testEchoRedirectionWrdataAndWrite() throws {
        let dir = temporaryDirectory()
        let (_, output, error) = run("""
            ac dec 2 10 1k
            echo first > echo.txt
            echo second >> echo.txt
            wrdata data.txt vdb(out) v(out)
            set filetype=ascii
            write out.raw v(out)
            """)
        XCTAssertNil(error)
        XCTAssertEqual(output, "")
        XCTAssertEqual(try String(contentsOfFile: dir + "/echo.txt", encoding: .utf8), "first\nsecond\n")
        let data = try String(contentsOfFile: dir + "/data.txt", encoding: .utf8)
        // ngspice 39 writes this first row for the same deck and command.
        let ngspice = " 1.00000000e+01 -1.71115043e-02  1.00000000e+01  9.96067682e-01 -6.25847783e-02 "
        let mine = data.split(separator: "\n").first.map(String.init) ?? ""
        let a = mine.split(separator: " ").compactMap { Double($0) }, e = ngspice.split(separator: " ").compactMap { Double($0) }
        XCTAssertEqual(a.count, e.count, mine)
        for (x, y) in zip(a, e) { XCTAssertTrue(isClose(x, y, relative: 1e-6, absolute: 1e-12), "\(mine) vs \(ngspice)") }
        XCTAssertEqual(data.split(separator: "\n").count, 5)
        let plots = try RawFile.read(path: dir + "/out.raw")
        XCTAssertEqual(plots.first?.vectors.map(\.name), ["frequency", "v(out)"])
    }

    func testComposeDestroyQuitAndIgnoredPlotCommands() throws {
        let (session, output, error) = run("op\ncompose l start=0 stop=1 lin=5\nplot v(out)\ndisplay\nprint l[4]\ndestroy op1\nquit\nprint nothing")
        XCTAssertNil(error)
        XCTAssertEqual(output, "l[4] = 1.000000e+00\n")
        XCTAssertTrue(session.quitRequested)
        XCTAssertEqual(session.plots.map(\.name), ["const"])
    }

    func testDeviceParameterFromTheOperatingPoint() throws {
        let netlist = """
        nmos
        vd d 0 1.8
        vg g 0 1
        m1 d g 0 0 nch w=10u l=1u
        .model nch nmos level=1 vto=0.5 kp=100u
        """
        let (session, _, error) = run("op\nlet gm = @m1[gm]", netlist: netlist)
        XCTAssertNil(error)
        // Saturation: gm = kp·W/L·(vgs − vto) = 100µ · 10 · 0.5
        XCTAssertTrue(isClose(try session.evaluate("gm").re[0], 5e-4, relative: 1e-9, absolute: 0))
        let (_, _, error2) = run("op\nprint @m1[nonsense]", netlist: netlist)
        XCTAssertEqual((error2 as? ControlError)?.kind, .unknownVector)
    }

    func testDeckWithoutControlBlockRunsAnalysesAndMeasurements() throws {
        let text = ControlTests.rc + "\n.ac dec 10 1 1meg\n.meas ac f3db when vdb(out)=-3\n.end\n"
        var output = ""
        let session = ControlSession(deck: try Deck.parse(text)) { output += $0 }
        try session.runBatch()
        XCTAssertTrue(output.hasPrefix("\n  Measurements for AC Analysis\n\nf3db                =   1."), output)
        XCTAssertNotNil(session.measurements["f3db"])
    }
}
