import XCTest
import TestSupport
import Agents

final class SizingScriptTests: XCTestCase {
    func error(_ source: String, _ constants: [String: Double] = [:], file: StaticString = #filePath, line: UInt = #line) -> SizingScriptError? {
        do {
            let r = try SizingScript.run(source, constants: constants)
            XCTFail("expected an error, got \(r)", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.description.isEmpty)
            return error
        }
    }

    func testArithmeticAndPrecedence() throws {
        let v = try SizingScript.evaluate("""
            a = 1 + 2 * 3          # 7
            b = (1 + 2) * 3; c = -2^2
            d = 2^3^2
            e = 2^-1
            f = 10 / 4 - 1
            g = − 3 × 2 ÷ 4
            h = --3
            """)
        XCTAssertEqual(v["a"], 7); XCTAssertEqual(v["b"], 9); XCTAssertEqual(v["c"], -4)
        XCTAssertEqual(v["d"], 512); XCTAssertEqual(v["e"], 0.5); XCTAssertEqual(v["f"], 1.5)
        XCTAssertEqual(v["g"], -1.5); XCTAssertEqual(v["h"], 3)
    }

    func testFunctionsSuffixesConstantsAndOrder() throws {
        let r = try SizingScript.run("""
            i5 = sr * cc
            w = sqrt(16) + ln(exp(2)) + abs(-1) + min(3, 1, 2) + max(1, 5)
            c = 2p + 10k * 1u + 1meg * 1n + 0.5m + 3f / 1f
            i5 = i5 * 2
            """, constants: ["sr": 20e6, "cc": 0.5e-12])
        XCTAssertEqual(r.map(\.name), ["i5", "w", "c"])
        XCTAssertTrue(isClose(r[0].value, 20e-6, relative: 1e-12, absolute: 0))
        XCTAssertEqual(r[1].value, 4 + 2 + 1 + 1 + 5)
        XCTAssertTrue(isClose(r[2].value, 2e-12 + 1e-2 + 1e-3 + 0.5e-3 + 3, relative: 1e-12, absolute: 0))
    }

    func testDivisionByZeroNamesLine() {
        XCTAssertEqual(error("a = 1\nb = 1/0"), .divisionByZero(line: 2))
        XCTAssertEqual(error("a = 0\nb = 2\nc = b / (a * 3)"), .divisionByZero(line: 3))
        XCTAssertEqual(error("x = 0^-1"), .divisionByZero(line: 1))
    }

    func testOverflowAndDomain() {
        guard case .nonFinite(2, _)? = error("a = 1\nb = 10^400") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = 1e308*10") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = 1e400") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = exp(1000)") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = sqrt(-1)") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = ln(0)") else { return XCTFail() }
        guard case .nonFinite(1, _)? = error("b = -1e308 - 1e308") else { return XCTFail() }
    }

    func testNamesAndConstants() {
        XCTAssertEqual(error("a = b + 1"), .undefinedName(line: 1, name: "b"))
        XCTAssertEqual(error("a = a + 1"), .undefinedName(line: 1, name: "a"))
        XCTAssertEqual(error("vdd = 3", ["vdd": 1.8]), .assignsConstant(line: 1, name: "vdd"))
        XCTAssertEqual(error("A = 1\nb = a"), .undefinedName(line: 2, name: "a"))  // case-sensitive
    }

    func testUnknownFunctionsAndArity() {
        XCTAssertEqual(error("a = sin(1)"), .unknownFunction(line: 1, name: "sin", allowed: SizingScript.functions))
        XCTAssertEqual(error("a = system(1)"), .unknownFunction(line: 1, name: "system", allowed: SizingScript.functions))
        XCTAssertEqual(error("a = sqrt(1, 2)"), .argumentCount(line: 1, function: "sqrt", expected: "1", got: 2))
        XCTAssertEqual(error("a = max(1)"), .argumentCount(line: 1, function: "max", expected: "2 or more", got: 1))
        XCTAssertEqual(error("a = exp()"), .argumentCount(line: 1, function: "exp", expected: "1", got: 0))
    }

    func testSyntaxErrors() {
        guard case .syntax(1, 7, _)? = error("a = 1 2") else { return XCTFail() }
        guard case .syntax(2, 3, _)? = error("a = 1\nb 2") else { return XCTFail() }
        guard case .syntax(1, 5, _)? = error("a = 2x") else { return XCTFail() }  // missing '*', not "2 with unit x"
        guard case .syntax(1, 11, _)? = error("a = (1 + 2") else { return XCTFail() }
        guard case .syntax(1, 5, _)? = error("for i in 1..10: print(i)") else { return XCTFail() }
        guard case .syntax? = error("a = 1 +") else { return XCTFail() }
        guard case .syntax? = error("a = 1 == 1") else { return XCTFail() }
        guard case .syntax? = error("a = 1 % 2") else { return XCTFail() }
        guard case .syntax? = error("a = 1 ? 2 : 3") else { return XCTFail() }
        guard case .syntax? = error("import os") else { return XCTFail() }
        guard case .syntax? = error("a = \"text\"") else { return XCTFail() }
    }

    func testHostileNestingAndSize() {
        XCTAssertEqual(error("a = " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)),
                       .tooLong(length: 200_005, limit: SizingScript.maximumSourceLength))
        XCTAssertEqual(error("a = " + String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)),
                       .tooDeep(line: 1, limit: SizingScript.maximumDepth))
        XCTAssertEqual(error("a = " + String(repeating: "-", count: 5_000) + "1"), .tooDeep(line: 1, limit: SizingScript.maximumDepth))
        XCTAssertEqual(error("a = 2" + String(repeating: "^2", count: 5_000)), .tooDeep(line: 1, limit: SizingScript.maximumDepth))
        XCTAssertEqual(error("a = " + String(repeating: "sqrt(", count: 1_000) + "1" + String(repeating: ")", count: 1_000)),
                       .tooDeep(line: 1, limit: SizingScript.maximumDepth))
        XCTAssertEqual(error(String(repeating: "a = 1\n", count: 300)), .tooManyStatements(line: 257, limit: SizingScript.maximumStatements))
        // A long flat chain is a loop, not recursion: fine within the size limit.
        XCTAssertEqual(try SizingScript.evaluate("a = 0" + String(repeating: "+1", count: 8_000))["a"], 8_000)
        // Nesting right at the limit still works.
        let ok = "a = " + String(repeating: "(", count: 30) + "1" + String(repeating: ")", count: 30)
        XCTAssertEqual(try SizingScript.evaluate(ok)["a"], 1)
    }
}
