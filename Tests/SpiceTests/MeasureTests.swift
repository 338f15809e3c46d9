import XCTest
import Spice
import TestSupport

/// `Measure` parsing and evaluation on hand-made data, where every answer is known exactly.
final class MeasureTests: XCTestCase {
    /// A triangle wave over 0...8: 0 1 0 1 0 ... at integer points.
    let scale = (0...8).map(Double.init)
    lazy var triangle: [Double] = scale.map { Int($0) % 2 == 0 ? 0 : 1 }

    func data(_ y: [Double], kind: String = "tran") -> Measure.Data {
        Measure.Data(scale: scale, kind: kind, vector: { _ in y }, scalar: { e in
            if case .number(let x) = e { return x }
            throw ControlError(.unknownVector, "no value")
        })
    }

    func value(_ text: String, _ y: [Double], kind: String = "tran") throws -> MeasureResult {
        try Measure.parse(text).evaluate(data(y, kind: kind))
    }

    func testWhenCountsRisesFallsCrossesAndLast() throws {
        XCTAssertEqual(try value("tran t when v(x)=0.5", triangle).value, 0.5)
        XCTAssertEqual(try value("tran t when v(x)=0.5 rise=2", triangle).value, 2.5)
        XCTAssertEqual(try value("tran t when v(x)=0.5 fall=2", triangle).value, 3.5)
        XCTAssertEqual(try value("tran t when v(x)=0.5 cross=3", triangle).value, 2.5)
        XCTAssertEqual(try value("tran t when v(x)=0.5 cross=last", triangle).value, 7.5)
        XCTAssertEqual(try value("tran t when v(x)=0.5 rise=1 td=3", triangle).value, 4.5)
        XCTAssertEqual(try value("tran t when v(x) = 0.25 fall = last", triangle).value, 7.75)
        XCTAssertThrowsError(try value("tran t when v(x)=0.5 rise=9", triangle)) {
            XCTAssertEqual(($0 as? ControlError)?.kind, .measurementFailed)
        }
    }

    func testFindDerivAndTrigTarg() throws {
        let ramp = scale.map { 3 * $0 + 1 }
        XCTAssertEqual(try value("dc y find v(x) at=2.5", ramp).value, 8.5)
        XCTAssertEqual(try value("dc y deriv v(x) at=2.5", ramp).value, 3)
        XCTAssertEqual(try value("tran y deriv v(x) when v(x)=10", ramp).value, 3)
        XCTAssertEqual(try value("tran y find v(x) when v(x)=10", ramp).value, 10)
        let r = try value("tran d trig v(x) val=4 rise=1 targ v(x) val=22 rise=1", ramp)
        XCTAssertEqual(r.value, 6)
        XCTAssertEqual(r.line, "d                   =  6.000000e+00 targ=  7.000000e+00 trig=  1.000000e+00")
        XCTAssertEqual(try value("tran d trig at=1 targ v(x) val=7 rise=1", ramp).value, 1)
        XCTAssertThrowsError(try value("dc y find v(x) at=9", ramp))
    }

    func testStatisticsWithInterpolatedWindows() throws {
        let ramp = scale
        XCTAssertEqual(try value("tran m max v(x)", triangle).line, "m                   =  1.000000e+00 at=  1.000000e+00")
        XCTAssertEqual(try value("tran m min v(x) from=0.5 to=7", triangle).value, 0)
        XCTAssertEqual(try value("tran m pp v(x)", ramp).value, 8)
        XCTAssertEqual(try value("tran m integ v(x) from=1 to=3", ramp).value, 4)
        XCTAssertEqual(try value("tran m integ v(x) from=0.5 to=1.5", ramp).value, 1)
        XCTAssertEqual(try value("tran m avg v(x) from=2 to=4", ramp).value, 3)
        XCTAssertEqual(try value("tran m avg v(x)", triangle).value, 0.5)
        // Trapezoids on the squared values, as ngspice integrates them: (0 + 1)/2 + (1 + 4)/2 over 2.
        XCTAssertTrue(isClose(try value("tran m rms v(x) from=0 to=2", ramp).value, 1.5.squareRoot(), relative: 1e-12, absolute: 0))
    }

    func testParseErrors() {
        for (text, fragment) in [("ac", "needs 'analysis name"), ("xyz a when v(x)=1", "unknown analysis type"),
                                 ("ac 1x when v(x)=1", "bad result name"), ("ac a when v(x)", "when needs"),
                                 ("ac a trig v(x) val=1", "'targ'"), ("ac a when v(x)=1 rise=zero", "positive count"),
                                 ("ac a max v(x) at=3", "unexpected 'at='"), ("ac a find (v(x) at=1", "unbalanced"),
                                 ("ac a when v(x)=1 extra", "unexpected 'extra'")] {
            XCTAssertThrowsError(try Measure.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(text): \(error)")
            }
        }
    }
}
