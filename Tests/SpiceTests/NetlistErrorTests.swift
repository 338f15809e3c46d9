import XCTest
import Spice

/// Every error the front end reports, with its exact message and location.
final class NetlistErrorTests: XCTestCase {
    func testUnknownElementAndCard() {
        assertError("t\nq1 c b e qmod\n", "t.cir:2: unsupported element type 'q' in 'q1'")
        assertError("t\nr1 a 0 1\n.foo bar\n", "t.cir:3: unknown control card '.foo'")
        assertError("t\n.func f(x) x*2\n", "t.cir:2: unsupported control card '.func'")
        assertError("t\n.subckt s a\n.tran 1n 1u\n.ends\n", "t.cir:3: '.tran' is not allowed inside '.subckt s'")
    }

    func testMissingNodes() {
        assertError("t\nr1 a\n", "t.cir:2: r1: expected 2 nodes, found 1")
        assertError("t\ne1 a 0 b\n", "t.cir:2: e1: expected 4 nodes, found 3")
        assertError("t\n.model n nmos\nm1 d g s n\n", "t.cir:3: m1: expected 4 nodes, found 4".replacingOccurrences(of: "expected 4 nodes, found 4", with: "expected 4 nodes and a model"))
        assertError("t\nr1 a b\n", "t.cir:2: r1: missing value")
        assertError("t\nx1\n", "t.cir:2: x1: missing subcircuit name")
        assertError("t\nf1 a 0 2\n", "t.cir:2: f1: expected 2 nodes, a controlling voltage source and a gain")
    }

    func testBadNumbers() {
        assertError("t\nr1 a 0 1k5\n", "t.cir:2: bad number '1k5'")
        assertError("t\nr1 a 0 1.2.3\n", "t.cir:2: bad number '1.2.3'")
        assertError("t\n.tran 1n 1x2\n", "t.cir:2: bad number '1x2'")
    }

    func testUnbalancedSubckt() {
        assertError("t\n.subckt amp a b\nr1 a b 1\n", "t.cir:2: '.subckt amp' has no matching '.ends'")
        assertError("t\nr1 a b 1\n.ends\n", "t.cir:3: '.ends' without '.subckt'")
        assertError("t\n.subckt amp a b\n.ends other\n", "t.cir:3: '.ends other' closes '.subckt amp'")
        assertError("t\n.control\nrun\n", "t.cir:2: '.control' has no matching '.endc'")
        assertError("t\n.endc\n", "t.cir:2: '.endc' without '.control'")
    }

    func testParametersAndExpressions() {
        assertError("t\nr1 a 0 {w}\n", "t.cir:2: undefined parameter 'w'")
        assertError("t\n.param a=1/0\n", "t.cir:2: division by zero in '1/0'")
        assertError("t\n.param z=0\nr1 a 0 {1/z}\n", "t.cir:3: division by zero in '1/z'")
        assertError("t\nr1 a 0 {1+2\n", "t.cir:2: unterminated '{'")
        assertError("t\nr1 a 0 '1+2\n", "t.cir:2: unterminated quote (')")
        assertError("t\nr1 a 0 {(1+2}\n", "t.cir:2: unterminated '(' in expression '(1+2'")
        assertError("t\nr1 a 0 r=(1+2\n", "t.cir:2: unbalanced parentheses in '(1+2'")
        assertError("t\nv1 a 0 pulse(0 1 1n\n", "t.cir:2: v1: unterminated '(' in pulse")
        assertError("t\n.param a\n", "t.cir:2: .param expects name=value, found 'a'")
        assertError("t\n.param a=b b=a\n", "t.cir:2: undefined parameter 'a'")
        assertError("t\n.subckt s a w=1\nr1 a 0 {w}\n.ends\nx1 n s l=2\n", "t.cir:5: x1: subcircuit 's' has no parameter 'l'")
    }

    func testDuplicateNames() {
        assertError("t\nr1 a 0 1k\nr1 a 0 2k\n", "t.cir:3: duplicate element name 'r1' (first at t.cir:2)")
        assertError("t\n.subckt s a\nr1 a 0 1\n.ends\nx1 n s\nx1 m s\n", "t.cir:3: duplicate element name 'r.x1.r1' (first at t.cir:3)")
    }

    func testModelLevel() {
        assertError("t\n.model n nmos level=1e300\n", "t.cir:2: .model n: level must be a whole number from 1 to 1000, found 1e+300")
        assertError("t\n.model n nmos level=1.5\n", "t.cir:2: .model n: level must be a whole number from 1 to 1000, found 1.5")
    }

    func testMissingControllingSource() {
        assertError("t\nf1 a 0 vx 2\n", "t.cir:2: f1: controlling voltage source 'vx' not found")
        assertError("t\nvx b 0 0\n.subckt s a\nh1 a 0 vx 2\n.ends\nx1 n s\n", "t.cir:4: h.x1.h1: controlling voltage source 'v.x1.vx' not found")
    }

    func testModelsAndSubcircuits() {
        assertError("t\nd1 a 0 dmod\n", "t.cir:2: d1: undefined model 'dmod'")
        assertError("t\nm1 d g s b nch w=1 l=1\n", "t.cir:2: m1: undefined model 'nch'")
        assertError("t\n.model nch.x nmos\nm1 d g s b nch\n", "t.cir:3: m1: undefined model 'nch'")
        assertError("t\nx1 a b amp\n", "t.cir:2: x1: undefined subcircuit 'amp'")
        assertError("t\n.subckt amp a b c\n.ends\nx1 a b amp\n", "t.cir:4: x1: subcircuit 'amp' has 3 pins, instance gives 2 nodes")
        assertError("t\n.subckt loop a\nx1 a loop\n.ends\nx0 n loop\n", "t.cir:3: x1: subcircuit 'loop' instantiates itself")
        assertError("t\n.subckt p a\nx1 a q\n.ends\n.subckt q a\nx2 a p\n.ends\nx0 n p\n", "t.cir:6: x2: subcircuit 'p' instantiates itself")
    }

    func testSourcesAndCards() {
        assertError("t\nv1 a 0 sffm(0 1 1k)\n", "t.cir:2: v1: unsupported source form 'sffm'")
        assertError("t\nv1 a 0 pwl(0 0 1n)\n", "t.cir:2: v1: pwl needs time-value pairs, found 3 values")
        assertError("t\nv1 a 0 pwl(1n 0 0 1)\n", "t.cir:2: v1: pwl times must not decrease (0.0 after 1e-09)")
        assertError("t\ne1 a 0 poly(1) b 0 1 2\n", "t.cir:2: e1: unsupported controlled-source form 'poly'")
        assertError("t\nr1 a 0 1 tc1=0.1\n", "t.cir:2: r1: unsupported resistor parameter 'tc1'")
        assertError("t\n.model n nmos\nm1 d g s b n wx=2\n", "t.cir:3: m1: unsupported MOSFET instance parameter 'wx'")
        assertError("t\n.options foo=1\n", "t.cir:2: unsupported option 'foo'")
        assertError("t\n.options savecurrents\n", "t.cir:2: unsupported option 'savecurrents'")
        assertError("t\n.options method=euler\n", "t.cir:2: option method must be 'trap' or 'gear', found 'euler'")
        assertError("t\nv1 a 0 1\n.dc v2 0 1 0.1\n", "t.cir:3: .dc: undefined source 'v2'")
        assertError("t\nv1 a 0 1\n.dc v1 0 1 0\n", "t.cir:3: .dc v1: step must not be zero")
        assertError("t\nv1 a 0 1\n.dc v1 0 1 -0.1\n", "t.cir:3: .dc v1: step -0.1 does not lead from 0.0 to 1.0")
        assertError("t\nv1 a 0 1\n.dc v1 list 1 2 3\n", "t.cir:3: .dc: 'list' sweeps are not supported (ngspice 39 takes 'source start stop step')")
        assertError("t\nv1 a 0 1\n.dc v1 0 1\n", "t.cir:3: .dc expects 'source start stop step' once or twice, found 3 values")
        assertError("t\n.ac dec 0 1 1k\n", "t.cir:2: .ac: number of points must be a positive integer, found 0.0")
        assertError("t\n.ac log 10 1 1k\n", "t.cir:2: .ac expects dec|oct|lin, points, start, stop")
        assertError("t\n.ac dec 10 0 1k\n", "t.cir:2: .ac: start frequency must be positive for dec")
        assertError("t\n.tran 0 1u\n", "t.cir:2: .tran: step must be positive")
        assertError("t\n.tran 1n\n", "t.cir:2: .tran expects tstep tstop [tstart [tmax]] [uic]")
        assertError("t\n.ic v(a)\n", "t.cir:2: .ic expects v(node)=value pairs")
        assertError("t\nv1 a 0 1\n.noise v(a) v9 dec 10 1 1k\n", "t.cir:3: .noise: undefined source 'v9'")
        assertError("t\n.op now\n", "t.cir:2: .op takes no arguments")
        assertError("t\n+ r1 a 0 1\n", "t.cir:2: continuation line '+' with no line before it")
    }

    func testIncludeErrors() throws {
        let dir = try temporaryDirectory()
        try "* a\n.include b.inc\n".write(toFile: dir + "/a.inc", atomically: true, encoding: .utf8)
        try "* b\n.include a.inc\n".write(toFile: dir + "/b.inc", atomically: true, encoding: .utf8)
        try "* lib\n.lib tt\nr1 a 0 1\n.endl\n".write(toFile: dir + "/m.lib", atomically: true, encoding: .utf8)
        try "* lib\n.lib tt\nr1 a 0 1\n".write(toFile: dir + "/open.lib", atomically: true, encoding: .utf8)
        assertError("t\n.include a.inc\n", "\(dir)/b.inc:2: include cycle: \(dir)/a.inc -> \(dir)/b.inc -> \(dir)/a.inc", directory: dir)
        assertError("t\n.include nothere.inc\n", "t.cir:2: cannot read include file '\(dir)/nothere.inc'", directory: dir)
        assertError("t\n.lib 'nothere.lib' tt\n", "t.cir:2: cannot read include file '\(dir)/nothere.lib'", directory: dir)
        assertError("t\n.lib m.lib ff\n", "t.cir:2: library section 'ff' not found in '\(dir)/m.lib'", directory: dir)
        assertError("t\n.lib open.lib tt\n", "\(dir)/open.lib:3: '.lib tt' has no matching '.endl'", directory: dir)
        assertError("t\n.endl\n", "t.cir:2: '.endl' without '.lib'")
        assertError("t\n.include\n", "t.cir:2: .include expects one file name")
    }

    func testDepthLimits() throws {
        let chain = (0..<600).map { "a\($0)=a\($0 + 1)" }.joined(separator: " ")
        assertError("t\n.param \(chain) a600=1\n", "t.cir:2: parameters defined through more than 500 levels ('a500')")
        let shortChain = (0..<400).map { "a\($0)=a\($0 + 1)" }.joined(separator: " ")
        XCTAssertEqual(resistance(try parseDeck("t\n.param \(shortChain) a400=7\nr1 a 0 {a0}\n"), "r1"), 7)
        let deep = "t\nr1 a 0 {" + String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300) + "}\n"
        assertError(deep, "t.cir:2: expression nested deeper than 200 levels")
        let dir = try temporaryDirectory()
        for k in 0..<40 {
            try "* level \(k)\n.include f\(k + 1).inc\n".write(toFile: dir + "/f\(k).inc", atomically: true, encoding: .utf8)
        }
        assertError("t\n.include f0.inc\n", "\(dir)/f31.inc:2: includes nested deeper than 32 levels", directory: dir)
    }
}

/// A fresh directory under the system temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "netlist-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return URL(fileURLWithPath: path).standardizedFileURL.path
}
