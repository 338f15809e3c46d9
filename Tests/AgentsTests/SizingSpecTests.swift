import XCTest
import Agents

final class SizingSpecTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let minimal = """
        process = "sky130"
        topology = "structure1"
        corners = ["tt"]
        [conditions]
        vdd = 1.8
        vcm = 0.9
        cl_pf = 2
        """

    func specError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> SpecError? {
        do {
            _ = try SizingSpec.parse(text)
            XCTFail("expected an error for:\n\(text)", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.description.isEmpty)
            return error
        }
    }

    func testChallengeSpecFile() throws {
        let spec = try SizingSpec.load(path: Self.repoRoot.appendingPathComponent("specs/aicas2025.toml").path)
        XCTAssertEqual(spec.process, .sky130)
        XCTAssertEqual(spec.topology, .structure1)
        XCTAssertEqual(spec.corners, [.tt, .ff, .ss, .fs, .sf])
        XCTAssertEqual(spec.vdd, 1.8)
        XCTAssertEqual(spec.vcm, 0.9)
        XCTAssertEqual(spec.clPF, 2)
        XCTAssertEqual(spec.constraints[.gainDB], Bound(min: 60))
        XCTAssertEqual(spec.constraints[.gbwMHz], Bound(min: 20))
        XCTAssertEqual(spec.constraints[.pmDeg], Bound(min: 60))
        XCTAssertEqual(spec.constraints[.srVPerUs], Bound(min: 20))
        XCTAssertEqual(spec.constraints[.idcUA], Bound(max: 500))
        XCTAssertNil(spec.constraints[.cmrrDB])
        XCTAssertEqual(spec.objective, .fom)
        XCTAssertNil(spec.target)
        XCTAssertEqual(spec.limits.lUM, Interval(0.15, 8))
        XCTAssertEqual(spec.limits.wUM, Interval(0.42, 100))
        XCTAssertEqual(spec.budget.iterations, 30)
    }

    func testMinimalSpecGetsDefaults() throws {
        let spec = try SizingSpec.parse(Self.minimal)
        XCTAssertEqual(spec.corners, [.tt])
        XCTAssertEqual(spec.temperature, 27)
        XCTAssertEqual(spec.objective, .fom)
        XCTAssertEqual(spec.limits, SizingLimits())
    }

    func testTargetAndTolerance() throws {
        let spec = try SizingSpec.parse(Self.minimal + "\n[target]\ngbw_mhz = 30\n")
        XCTAssertEqual(spec.target, Target(metric: .gbwMHz, value: 30, tolerance: 0.05))
        XCTAssertTrue(spec.target!.isMet(by: 31.4))
        XCTAssertFalse(spec.target!.isMet(by: 31.6))
        let t2 = try SizingSpec.parse(Self.minimal + "\n[target]\nidc_ua = 100\ntolerance = 0.02\n")
        XCTAssertEqual(t2.target, Target(metric: .idcUA, value: 100, tolerance: 0.02))
    }

    func testTOMLFeatures() throws {
        let t = try TOML.parse("""
            a = "x\\"y" # comment
            b = [1, 2.5, -3e2,
                 1_000, ]
            c = { d = true, e = false }
            [s.t]
            u = "v"
            """)
        XCTAssertEqual(t["a"], .string("x\"y"))
        XCTAssertEqual(t["b"], .array([.number(1), .number(2.5), .number(-300), .number(1000)]))
        guard case .table(let c)? = t["c"], case .table(let s)? = t["s"], case .table(let tt)? = s["t"] else {
            return XCTFail("tables missing")
        }
        XCTAssertEqual(c["d"], .bool(true))
        XCTAssertEqual(tt["u"], .string("v"))
    }

    func testSyntaxErrorsNameLineAndColumn() {
        let cases: [(String, Int, Int)] = [
            ("a = 1\nb = \"open\n", 2, 10),
            ("a = 1\nb 2\n", 2, 3),
            ("a = [1, 2\n", 2, 1),
            ("a = 'x'", 1, 5),
            ("a = 1x", 1, 5),
            ("a = 1 2", 1, 7),
            ("[t]\n[t]", 2, 4),
            ("a = 1\na = 2", 2, 1),
            ("[[t]]", 1, 2),
            ("a = nope", 1, 9),
            ("a = inf", 1, 8),
        ]
        for (text, line, column) in cases {
            guard case .syntax(let e)? = specError(text) else { XCTFail("no syntax error for \(text)"); continue }
            XCTAssertEqual(e.line, line, "\(text): \(e)")
            XCTAssertEqual(e.column, column, "\(text): \(e)")
        }
        let deep = "a = " + String(repeating: "[", count: 10_000)
        guard case .syntax? = specError(deep) else { return XCTFail("deep nesting accepted") }
    }

    func testUnknownKeys() {
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "corners", with: "corner")),
                       .unknownKey(field: "corner", line: 3, allowed: SpecReaderKeys.top))
        guard case .unknownKey(let f, let l, _)? = specError(Self.minimal + "\nvss = 0") else { return XCTFail() }
        XCTAssertEqual(f, "conditions.vss"); XCTAssertEqual(l, 8)
        guard case .unknownKey(let f2, _, let allowed)? = specError(Self.minimal + "\n[constraints]\ngain = { min = 60 }") else { return XCTFail() }
        XCTAssertEqual(f2, "constraints.gain")
        XCTAssertTrue(allowed.contains("gain_db"))
        guard case .unknownKey(let f3, _, _)? = specError(Self.minimal + "\n[constraints]\ngain_db = { mn = 60 }") else { return XCTFail() }
        XCTAssertEqual(f3, "constraints.gain_db.mn")
        guard case .unknownKey(let f4, _, _)? = specError(Self.minimal + "\n[limits]\nw = { min = 1 }") else { return XCTFail() }
        XCTAssertEqual(f4, "limits.w")
        guard case .unknownKey(let f5, _, _)? = specError(Self.minimal + "\n[target]\ngbw_mhz = 30\npm_deg = 60") else { return XCTFail() }
        XCTAssertEqual(f5, "target.pm_deg")
        guard case .unknownKey(let f6, _, _)? = specError(Self.minimal + "\n[budget]\nseconds = 3") else { return XCTFail() }
        XCTAssertEqual(f6, "budget.seconds")
    }

    func testWrongTypes() {
        guard case .wrongType(let f, _, let expected, let found)? = specError(Self.minimal.replacingOccurrences(of: "vdd = 1.8", with: "vdd = \"1.8\"")) else { return XCTFail() }
        XCTAssertEqual(f, "conditions.vdd"); XCTAssertEqual(expected, "number"); XCTAssertEqual(found, "string")
        guard case .wrongType(let f2, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "[\"tt\"]", with: "\"tt\"")) else { return XCTFail() }
        XCTAssertEqual(f2, "corners")
        guard case .wrongType(let f3, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "[\"tt\"]", with: "[1]")) else { return XCTFail() }
        XCTAssertEqual(f3, "corners")
        guard case .wrongType(let f4, _, _, _)? = specError(Self.minimal + "\n[constraints]\ngain_db = 60") else { return XCTFail() }
        XCTAssertEqual(f4, "constraints.gain_db")
        guard case .wrongType(let f5, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "process = \"sky130\"", with: "process = 130")) else { return XCTFail() }
        XCTAssertEqual(f5, "process")
        guard case .wrongType(let f6, _, _, _)? = specError("objective = \"fom\"\n" + Self.minimal) else { return XCTFail() }
        XCTAssertEqual(f6, "objective")
    }

    func testOutOfRange() {
        guard case .outOfRange(let f, let l, let v, _)? = specError(Self.minimal.replacingOccurrences(of: "vdd = 1.8", with: "vdd = 180")) else { return XCTFail() }
        XCTAssertEqual(f, "conditions.vdd"); XCTAssertEqual(l, 5); XCTAssertEqual(v, 180)
        guard case .outOfRange(let f2, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "vcm = 0.9", with: "vcm = 2.5")) else { return XCTFail() }
        XCTAssertEqual(f2, "conditions.vcm")
        guard case .outOfRange(let f3, _, _, _)? = specError(Self.minimal + "\n[limits]\nl_um = { min = 0.01 }") else { return XCTFail() }
        XCTAssertEqual(f3, "limits.l_um.min")
        guard case .outOfRange(let f4, _, _, _)? = specError(Self.minimal + "\n[constraints]\npm_deg = { min = 600 }") else { return XCTFail() }
        XCTAssertEqual(f4, "constraints.pm_deg.min")
        guard case .outOfRange(let f5, _, _, _)? = specError(Self.minimal + "\n[budget]\niterations = 0") else { return XCTFail() }
        XCTAssertEqual(f5, "budget.iterations")
        guard case .outOfRange(let f6, _, _, _)? = specError(Self.minimal + "\n[target]\ngbw_mhz = 30\ntolerance = 2") else { return XCTFail() }
        XCTAssertEqual(f6, "target.tolerance")
    }

    func testMinAboveMax() {
        XCTAssertEqual(specError(Self.minimal + "\n[constraints]\nidc_ua = { min = 500, max = 100 }"),
                       .minAboveMax(field: "constraints.idc_ua", line: 9, min: 500, max: 100))
        guard case .minAboveMax(let f, _, _, _)? = specError(Self.minimal + "\n[limits]\nl_um = { min = 9 }") else { return XCTFail() }
        XCTAssertEqual(f, "limits.l_um")
    }

    func testUnknownValues() {
        guard case .unknownValue(let f, _, let v, let allowed)? = specError(Self.minimal.replacingOccurrences(of: "[\"tt\"]", with: "[\"tt\", \"typ\"]")) else { return XCTFail() }
        XCTAssertEqual(f, "corners"); XCTAssertEqual(v, "typ"); XCTAssertEqual(allowed, ["tt", "ff", "ss", "fs", "sf"])
        guard case .unknownValue(let f2, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "structure1", with: "folded")) else { return XCTFail() }
        XCTAssertEqual(f2, "topology")
        guard case .unknownValue(let f3, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "\"sky130\"", with: "\"gf180\"")) else { return XCTFail() }
        XCTAssertEqual(f3, "process")
        guard case .unknownValue(let f4, _, _, _)? = specError(Self.minimal.replacingOccurrences(of: "[\"tt\"]", with: "[]")) else { return XCTFail() }
        XCTAssertEqual(f4, "corners")
        guard case .unknownValue(let f5, _, _, _)? = specError(Self.minimal + "\n[objective]\nmaximize = \"gain\"") else { return XCTFail() }
        XCTAssertEqual(f5, "objective.maximize")
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "[\"tt\"]", with: "[\"tt\", \"tt\"]")),
                       .duplicateValue(field: "corners", line: 3, value: "tt"))
    }

    func testMissingFields() {
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "process = \"sky130\"\n", with: "")), .missingField(field: "process"))
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "topology = \"structure1\"\n", with: "")), .missingField(field: "topology"))
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "corners = [\"tt\"]\n", with: "")), .missingField(field: "corners"))
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "cl_pf = 2", with: "")), .missingField(field: "conditions.cl_pf"))
        XCTAssertEqual(specError("process = \"sky130\"\ntopology = \"structure1\"\ncorners = [\"tt\"]"), .missingField(field: "conditions"))
        XCTAssertEqual(specError(Self.minimal + "\n[target]\ntolerance = 0.1"), .missingField(field: "target.<metric>"))
        guard case .missingField? = specError(Self.minimal + "\n[constraints]\ngain_db = {}") else { return XCTFail() }
        XCTAssertEqual(specError(Self.minimal.replacingOccurrences(of: "vdd", with: "temperature")), .missingField(field: "conditions.vdd"))
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try SizingSpec.load(path: "/nonexistent/spec.toml")) { e in
            XCTAssertEqual(e as? SpecError, .unreadable(path: "/nonexistent/spec.toml"))
        }
    }
}

/// The top-level keys a spec may hold (mirrors the parser's list so the test notices a change).
enum SpecReaderKeys {
    static let top = ["process", "topology", "corners", "conditions", "constraints", "objective", "target", "limits", "budget"]
}
