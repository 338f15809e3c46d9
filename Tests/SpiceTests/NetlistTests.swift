import XCTest
import Spice

/// Shared helpers for the netlist tests.
func parseDeck(_ text: String, file: String = "<input>", directory: String = ".",
               _ fileLine: StaticString = #filePath, line: UInt = #line) throws -> Deck {
    do { return try Deck.parse(text, file: file, directory: directory) } catch {
        XCTFail("unexpected error: \(error)", file: fileLine, line: line)
        throw error
    }
}

func element(_ deck: Deck, _ name: String) -> Element? { deck.elements.first { $0.name == name } }

func resistance(_ deck: Deck, _ name: String) -> Double? {
    if case .resistor(let r)? = element(deck, name)?.kind { return r }
    return nil
}

/// Asserts that parsing fails with exactly `message` (the description, `file:line: message`).
func assertError(_ text: String, _ message: String, directory: String = ".",
                 file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try Deck.parse(text, file: "t.cir", directory: directory)
        XCTFail("expected error '\(message)'", file: file, line: line)
    } catch let e as NetlistError {
        XCTAssertEqual(e.description, message, file: file, line: line)
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
    }
}

final class NetlistNumberTests: XCTestCase {
    func testSuffixes() {
        let cases: [(String, Double)] = [
            ("1", 1), ("2E-12", 2e-12), ("1.5e3", 1500), (".5", 0.5), ("-3", -3), ("+4", 4),
            ("1f", 1e-15), ("1p", 1e-12), ("1n", 1e-9), ("1u", 1e-6), ("1m", 1e-3), ("1k", 1e3),
            ("1meg", 1e6), ("1g", 1e9), ("1t", 1e12), ("1mil", 25.4e-6), ("10uF", 10e-6), ("1.8V", 1.8),
            ("1megohm", 1e6), ("1MEG", 1e6), ("3Milli", 3 * 25.4e-6), ("2e-3x", 2e-3), ("1e", 1), ("5K", 5000),
        ]
        for (text, want) in cases {
            guard let got = SpiceNumber.parse(text) else { XCTFail("\(text) did not parse"); continue }
            XCTAssertEqual(got, want, accuracy: abs(want) * 1e-12, text)
        }
        for bad in ["", "abc", "1k5", "1.2.3", "--1", "e5", "1e+", "1_0"] {
            XCTAssertNil(SpiceNumber.parse(bad), bad)
        }
    }
}

final class NetlistExpressionTests: XCTestCase {
    func eval(_ s: String, _ scope: [String: Double] = [:]) throws -> Double {
        try Expression.parse(s).evaluate(scope)
    }

    func testArithmeticAndPrecedence() throws {
        // Values checked against ngspice 39's numparam.
        XCTAssertEqual(try eval("1+2*3"), 7)
        XCTAssertEqual(try eval("10/4"), 2.5)
        XCTAssertEqual(try eval("2**3"), 8)
        XCTAssertEqual(try eval("2^3"), 8)
        XCTAssertEqual(try eval("-2^2"), -4)
        XCTAssertEqual(try eval("-2**2"), -4)
        XCTAssertEqual(try eval("2**-1"), 0.5)
        XCTAssertEqual(try eval("2^3^2"), 64)
        XCTAssertEqual(try eval("(1+2)*3"), 9)
        XCTAssertEqual(try eval("7%3"), 1)
        XCTAssertEqual(try eval("1u*2"), 2e-6, accuracy: 1e-20)
        XCTAssertEqual(try eval("5mil"), 5e-3, accuracy: 1e-15)  // numparam reads `mil` as milli
        XCTAssertEqual(try eval("--3"), 3)
    }

    func testLogicAndTernary() throws {
        XCTAssertEqual(try eval("1<2"), 1)
        XCTAssertEqual(try eval("2<=1"), 0)
        XCTAssertEqual(try eval("2>1"), 1)
        XCTAssertEqual(try eval("1>=1"), 1)
        XCTAssertEqual(try eval("1==1"), 1)
        XCTAssertEqual(try eval("1!=1"), 0)
        XCTAssertEqual(try eval("0||2"), 1)
        XCTAssertEqual(try eval("1&&0"), 0)
        XCTAssertEqual(try eval("!0"), 1)
        XCTAssertEqual(try eval("!3"), 0)
        XCTAssertEqual(try eval("1 ? 3 : 4"), 3)
        XCTAssertEqual(try eval("0 ? 1 : 1 ? 5 : 6"), 5)
        XCTAssertEqual(try eval("1+2 < 4"), 1)
        XCTAssertEqual(try eval("2 > 1 ? 10 : 20"), 10)
        XCTAssertEqual(try eval("0 && 1/0"), 0)  // short-circuit
    }

    func testFunctions() throws {
        XCTAssertEqual(try eval("sqrt(16)"), 4)
        XCTAssertEqual(try eval("exp(0)"), 1)
        XCTAssertEqual(try eval("ln(exp(2))"), 2, accuracy: 1e-15)
        XCTAssertEqual(try eval("log(10)"), 2.302585092994046, accuracy: 1e-15)  // natural, as ngspice
        XCTAssertEqual(try eval("log10(100)"), 2)
        XCTAssertEqual(try eval("abs(-3)"), 3)
        XCTAssertEqual(try eval("min(3,1,2)"), 1)
        XCTAssertEqual(try eval("max(3,1,2)"), 3)
        XCTAssertEqual(try eval("pow(-2,3)"), -8)
        XCTAssertEqual(try eval("pwr(-2,3)"), 8)
        XCTAssertEqual(try eval("int(2.7)"), 2)
        XCTAssertEqual(try eval("int(-2.7)"), -2)
        XCTAssertEqual(try eval("floor(-2.5)"), -3)
        XCTAssertEqual(try eval("ceil(2.2)"), 3)
        XCTAssertEqual(try eval("nint(2.5)"), 2)
        XCTAssertEqual(try eval("sin(0)"), 0)
        XCTAssertEqual(try eval("cos(0)"), 1)
        XCTAssertEqual(try eval("tan(0)"), 0)
        XCTAssertEqual(try eval("atan(1)"), 0.7853981633974483, accuracy: 1e-15)
        XCTAssertEqual(try eval("sinh(0)"), 0)
        XCTAssertEqual(try eval("cosh(0)"), 1)
        XCTAssertEqual(try eval("tanh(0)"), 0)
        XCTAssertEqual(try eval("sgn(-3)"), -1)
        XCTAssertEqual(try eval("int((nf+1)/2) * w/nf * 0.29", ["nf": 2, "w": 4]), 0.58, accuracy: 1e-15)
    }

    func testNames() throws {
        XCTAssertEqual(try eval("a*b+c", ["a": 2, "b": 3, "c": 1]), 7)
        XCTAssertEqual(try eval("W_1.x", ["w_1.x": 2]), 2)
        XCTAssertEqual(try Expression.parse("a+b*c").names.sorted(), ["a", "b", "c"])
    }

    func assertExprError(_ s: String, _ message: String, _ scope: [String: Double] = [:],
                         file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try Expression.parse(s).evaluate(scope)
            XCTFail("expected error for \(s)", file: file, line: line)
        } catch let e as NetlistError {
            XCTAssertEqual(e.description, message, file: file, line: line)
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testErrors() {
        assertExprError("1/0", "division by zero in '1/0'")
        assertExprError("a/(b-1)", "division by zero in 'a/(b-1)'", ["a": 1, "b": 1])
        assertExprError("pi", "undefined parameter 'pi'")
        assertExprError("(1+2", "unterminated '(' in expression '(1+2'")
        assertExprError("1+2)", "unbalanced ')' in expression '1+2)'")
        assertExprError("foo(1)", "unknown function 'foo' in expression 'foo(1)'")
        assertExprError("sqrt(1,2)", "function 'sqrt' takes 1 argument, got 2 in 'sqrt(1,2)'")
        assertExprError("1 ? 2", "expected ':' after '?' in expression '1 ? 2'")
        assertExprError("", "empty expression")
        assertExprError("1+", "expression '1+' ends early")
        assertExprError(String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500),
                        "expression nested deeper than 200 levels")
        assertExprError(String(repeating: "-", count: 500) + "1", "expression nested deeper than 200 levels")
        assertExprError(Array(repeating: "1", count: 5000).joined(separator: "+"), "expression has more than 2000 levels of operators")
        XCTAssertEqual(try eval(Array(repeating: "1", count: 1500).joined(separator: "+")), 1500)
    }
}
