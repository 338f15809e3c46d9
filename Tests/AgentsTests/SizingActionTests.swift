import XCTest
import Foundation
import TestSupport
import Agents

final class SizingActionTests: XCTestCase {
    let design = Design.initial(.structure1)

    func plan(_ actions: String, reasoning: String = "\"why\"") throws -> ActionPlan {
        try ActionPlan.parse("{\"reasoning\": \(reasoning), \"actions\": [\(actions)]}", for: design)
    }

    func error(_ json: String, for d: Design? = nil, file: StaticString = #filePath, line: UInt = #line) -> ActionError? {
        do {
            let p = try ActionPlan.parse(json, for: d ?? design)
            XCTFail("expected an error, got \(p)", file: file, line: line)
            return nil
        } catch {
            XCTAssertFalse(error.description.isEmpty)
            return error
        }
    }

    func action(_ body: String) -> String { "{\"reasoning\": \"r\", \"actions\": [\(body)]}" }

    func testParseAndApply() throws {
        let p = try plan("""
            {"device": "M6", "param": "W", "op": "scale", "value": 1.2},
            {"device": "M1", "param": "L", "op": "step", "value": 0.5},
            {"device": "Cc", "param": "value", "op": "set", "value": 0.6},
            {"device": "Ibias", "param": "value", "op": "scale", "value": 2}
            """, reasoning: "\"GBW short: more gm6\"")
        XCTAssertEqual(p.reasoning, "GBW short: more gm6")
        XCTAssertEqual(p.actions[0], SizingAction(device: "M6", param: .w, op: .scale, value: 1.2))
        var d = design
        let applied = try d.apply(p.actions, limits: SizingLimits())
        XCTAssertTrue(isClose(d.devices["M6"]!.w, 30.92 * 1.2, relative: 1e-12, absolute: 0))
        XCTAssertEqual(d.devices["M1"]!.l, 2.5)
        XCTAssertEqual(d.devices["M2"]!.l, 2.5, "matched pair moves together")
        XCTAssertEqual(applied[1].targets, ["M1", "M2"])
        XCTAssertEqual(d.ccPF, 0.6)
        XCTAssertEqual(d.ibiasUA, 18.8)
        XCTAssertTrue(applied.allSatisfy { $0.clampedBy == nil })
    }

    func testClampingIsReported() throws {
        var d = design
        var limits = SizingLimits()
        limits.lUM = Interval(0.15, 4)
        let applied = try d.apply([
            SizingAction(device: "M5", param: .l, op: .set, value: 100),
            SizingAction(device: "M7", param: .w, op: .scale, value: 0.001),
            SizingAction(device: "Rz", param: .value, op: .step, value: -1000),
            SizingAction(device: "M6", param: .nf, op: .set, value: 2.4),
            SizingAction(device: "M3", param: .m, op: .set, value: 1000),
        ], limits: limits)
        XCTAssertEqual(d.devices["M5"]!.l, 4)
        XCTAssertEqual(applied[0].clampedBy, "limits.l_um max 4.0")
        XCTAssertEqual(applied[0].requested, 100)
        XCTAssertEqual(d.devices["M7"]!.w, 0.42)
        XCTAssertEqual(applied[1].clampedBy, "limits.w_um min 0.42")
        XCTAssertEqual(d.rzKOhm, limits.rzKOhm.min)
        XCTAssertNotNil(applied[2].clampedBy)
        XCTAssertEqual(d.devices["M6"]!.nf, 2)
        XCTAssertEqual(d.devices["M6"]!.w, 30.92, "total width kept when fingers change")
        XCTAssertNil(applied[3].clampedBy)
        XCTAssertEqual(d.devices["M3"]!.m, 64)
        XCTAssertEqual(d.devices["M4"]!.m, 64)
        // Width per finger: 100 µm max with 2 fingers lets the total reach 200.
        let wide = try d.apply([SizingAction(device: "M6", param: .w, op: .set, value: 500)], limits: limits)
        XCTAssertEqual(d.devices["M6"]!.w, 200)
        XCTAssertEqual(wide[0].clampedBy, "limits.w_um max 100.0")
    }

    func testTypedErrors() {
        XCTAssertEqual(error(action(#"{"device": "M99", "param": "W", "op": "scale", "value": 1}"#)),
                       .unknownDevice(index: 0, device: "M99", allowed: ActionPlan.knobs(of: design)))
        // The reference's devices do not exist while the bias is ideal, and vice versa for Ibias.
        guard case .unknownDevice(0, "M12", _)? = error(action(#"{"device": "M12", "param": "W", "op": "scale", "value": 1}"#)) else { return XCTFail() }
        guard case .unknownDevice(0, "Ibias", _)? = error(action(#"{"device": "Ibias", "param": "value", "op": "scale", "value": 1}"#),
                                                          for: Design.initial(.structure1, bias: .selfBiased)) else { return XCTFail() }
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "width", "op": "scale", "value": 1}"#)),
                       .unknownParameter(index: 0, device: "M1", param: "width", allowed: ["W", "L", "nf", "m"]))
        XCTAssertEqual(error(action(#"{"device": "Cc", "param": "W", "op": "scale", "value": 1}"#)),
                       .unknownParameter(index: 0, device: "Cc", param: "W", allowed: ["value"]))
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "double", "value": 1}"#)),
                       .unknownOperation(index: 0, op: "double", allowed: ["scale", "set", "step"]))
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "scale", "value": 0}"#)),
                       .nonPositiveScale(index: 0, value: 0))
        // JSON cannot carry infinity; an out-of-range literal is rejected by the decoder.
        guard case .malformedJSON? = error(action(#"{"device": "M1", "param": "W", "op": "scale", "value": 1e999}"#)) else { return XCTFail() }
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "scale", "value": "1.2"}"#)),
                       .wrongType(index: 0, field: "value", expected: "a number"))
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "scale", "value": true}"#)),
                       .wrongType(index: 0, field: "value", expected: "a number"))
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "scale"}"#)), .missingField(index: 0, field: "value"))
        XCTAssertEqual(error(action(#"{"param": "W", "op": "scale", "value": 1}"#)), .missingField(index: 0, field: "device"))
        XCTAssertEqual(error(action(#"{"device": "M1", "param": "W", "op": "set", "value": 2}, 3"#)),
                       .wrongType(index: 1, field: "actions[1]", expected: "an object"))
        XCTAssertEqual(error(#"{"actions": []}"#), .missingField(index: nil, field: "reasoning"))
        XCTAssertEqual(error(#"{"reasoning": "x"}"#), .missingField(index: nil, field: "actions"))
        XCTAssertEqual(error(#"{"reasoning": 1, "actions": []}"#), .wrongType(index: nil, field: "reasoning", expected: "a string"))
        XCTAssertEqual(error(#"{"reasoning": "x", "actions": {}}"#), .wrongType(index: nil, field: "actions", expected: "an array"))
        XCTAssertEqual(error(#"[1]"#), .wrongType(index: nil, field: "(top level)", expected: "an object"))
        guard case .wrongType(nil, "extra", _)? = error(#"{"reasoning": "x", "actions": [], "extra": 1}"#) else { return XCTFail() }
        let seven = Array(repeating: #"{"device": "M1", "param": "W", "op": "set", "value": 2}"#, count: 7).joined(separator: ",")
        XCTAssertEqual(error(action(seven)), .tooManyActions(count: 7, limit: ActionPlan.maximumActions))
        guard case .malformedJSON? = error("{\"reasoning\": \"x\", ") else { return XCTFail() }
        guard case .malformedJSON? = error("not json") else { return XCTFail() }
        guard case .malformedJSON? = error(String(repeating: "[", count: 100_000)) else { return XCTFail() }
        guard case .malformedJSON? = error(String(repeating: "[", count: 5_000)) else { return XCTFail() }
    }

    func testApplyRevalidatesCodeBuiltActions() {
        var d = design
        XCTAssertThrowsError(try d.apply([SizingAction(device: "M1", param: .w, op: .scale, value: .infinity)], limits: SizingLimits())) { e in
            XCTAssertEqual(e as? ActionError, .nonFinite(index: 0))
        }
        XCTAssertThrowsError(try d.apply([SizingAction(device: "Rz", param: .l, op: .set, value: 1)], limits: SizingLimits()))
        XCTAssertEqual(d, design, "nothing applied")
    }

    func testSchemaIsJSONAndListsTheKnobs() throws {
        let schema = ActionPlan.jsonSchema(for: Design.initial(.structure1, bias: .selfBiased))
        let object = try JSONSerialization.jsonObject(with: Data(schema.utf8)) as? [String: Any]
        XCTAssertNotNil(object)
        XCTAssertTrue(schema.contains("\"M13\""))
        XCTAssertTrue(schema.contains("\"R2\""))
        XCTAssertFalse(schema.contains("\"Ibias\""))
        XCTAssertFalse(schema.contains("\"MS1\""), "start-up devices are not knobs")
        // A plan encoded from the Codable type parses back.
        let p = ActionPlan(reasoning: "ok", actions: [SizingAction(device: "R2", param: .value, op: .scale, value: 0.9)])
        let json = String(decoding: try JSONEncoder().encode(p), as: UTF8.self)
        XCTAssertEqual(try ActionPlan.parse(json, for: Design.initial(.structure1, bias: .selfBiased)), p)
    }
}
