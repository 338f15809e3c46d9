#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials

/// One resizing step the optimization agent (LLM or expert policy) asks for.
///
/// JSON form: `{"device": "M6", "param": "W", "op": "scale", "value": 1.2}`. Devices take `W` (total
/// width, µm), `L` (µm), `nf`, `m`; passives `Cc` (pF), `Rz` (kΩ), `R2` (kΩ), `Ibias` (µA) take
/// `value`. `scale` multiplies, `step` adds, `set` replaces.
public struct SizingAction: Sendable, Equatable, Codable {
    public var device: String
    public var param: Parameter
    public var op: Operation
    public var value: Double

    public init(device: String, param: Parameter, op: Operation, value: Double) {
        self.device = device; self.param = param; self.op = op; self.value = value
    }

    public enum Parameter: String, Sendable, Codable, CaseIterable {
        case w = "W", l = "L", nf, m, value
    }

    public enum Operation: String, Sendable, Codable, CaseIterable { case scale, set, step }

    /// Passive knobs and their units.
    public static let passives: [String: String] = ["Cc": "pF", "Rz": "kOhm", "R2": "kOhm", "Ibias": "uA"]
}

/// The optimization agent's whole answer: a short reasoning and the actions to apply.
public struct ActionPlan: Sendable, Equatable, Codable {
    public var reasoning: String
    public var actions: [SizingAction]
    public init(reasoning: String, actions: [SizingAction]) { self.reasoning = reasoning; self.actions = actions }

    public static let maximumActions = 6
    public static let maximumReasoningLength = 600
    public static let maximumJSONLength = 16_384
}

/// What applying one action did.
public struct AppliedAction: Sendable, Equatable, Codable {
    public var action: SizingAction
    /// Every device changed (a matched pair moves together).
    public var targets: [String]
    public var oldValue: Double
    /// The value the action asked for before limits.
    public var requested: Double
    public var newValue: Double
    /// The limit that cut the request, e.g. "limits.l_um max 8"; nil when applied as asked.
    public var clampedBy: String?
}

/// Why an action plan was rejected; `index` is the 0-based position in `actions`.
public enum ActionError: Error, CustomStringConvertible, Sendable, Equatable {
    case malformedJSON(String)
    case missingField(index: Int?, field: String)
    case wrongType(index: Int?, field: String, expected: String)
    case tooManyActions(count: Int, limit: Int)
    case unknownDevice(index: Int, device: String, allowed: [String])
    case unknownParameter(index: Int, device: String, param: String, allowed: [String])
    case unknownOperation(index: Int, op: String, allowed: [String])
    case nonFinite(index: Int)
    case nonPositiveScale(index: Int, value: Double)

    public var description: String {
        func at(_ i: Int?) -> String { i.map { "action \($0): " } ?? "" }
        switch self {
        case .malformedJSON(let m): return "action plan is not valid JSON: \(m)"
        case .missingField(let i, let f): return "\(at(i))missing field '\(f)'"
        case .wrongType(let i, let f, let e): return "\(at(i))'\(f)' must be \(e)"
        case .tooManyActions(let n, let limit): return "\(n) actions; at most \(limit) per plan"
        case .unknownDevice(let i, let d, let allowed):
            return "\(at(i))unknown device '\(d)'; this design has: \(allowed.joined(separator: ", "))"
        case .unknownParameter(let i, let d, let p, let allowed):
            return "\(at(i))'\(d)' has no parameter '\(p)'; allowed: \(allowed.joined(separator: ", "))"
        case .unknownOperation(let i, let o, let allowed):
            return "\(at(i))unknown op '\(o)'; allowed: \(allowed.joined(separator: ", "))"
        case .nonFinite(let i): return "\(at(i))value is not a finite number"
        case .nonPositiveScale(let i, let v): return "\(at(i))scale factor \(v) must be positive"
        }
    }
}

extension ActionPlan {
    /// Parses the LLM's JSON answer, checking every field against `design`.
    public static func parse(_ json: String, for design: Design) throws(ActionError) -> ActionPlan {
        guard json.utf8.count <= maximumJSONLength else {
            throw .malformedJSON("\(json.utf8.count) bytes; at most \(maximumJSONLength)")
        }
        // Bound nesting before the recursive decoder sees it (hostile `[[[[...`).
        var depth = 0, inString = false, escaped = false
        for c in json.utf8 {
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") { inString = true }
            else if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                depth += 1
                if depth > 8 { throw .malformedJSON("nested deeper than 8 levels") }
            } else if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1 }
        }
        let top: [String: JSONValue]
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
            guard case .object(let o) = value else { throw ActionError.wrongType(index: nil, field: "(top level)", expected: "an object") }
            top = o
        } catch let e as ActionError {
            throw e
        } catch {
            throw .malformedJSON("\(error)")
        }
        for key in top.keys.sorted() where key != "reasoning" && key != "actions" {
            throw .wrongType(index: nil, field: key, expected: "absent (allowed keys: reasoning, actions)")
        }
        guard let reasoningAny = top["reasoning"] else { throw .missingField(index: nil, field: "reasoning") }
        guard case .string(let reasoning) = reasoningAny else { throw .wrongType(index: nil, field: "reasoning", expected: "a string") }
        guard let list = top["actions"] else { throw .missingField(index: nil, field: "actions") }
        guard case .array(let items) = list else { throw .wrongType(index: nil, field: "actions", expected: "an array") }
        guard items.count <= maximumActions else { throw .tooManyActions(count: items.count, limit: maximumActions) }
        var actions: [SizingAction] = []
        for (i, item) in items.enumerated() {
            guard case .object(let a) = item else { throw .wrongType(index: i, field: "actions[\(i)]", expected: "an object") }
            func string(_ f: String) throws(ActionError) -> String {
                guard let v = a[f] else { throw .missingField(index: i, field: f) }
                guard case .string(let s) = v else { throw .wrongType(index: i, field: f, expected: "a string") }
                return s
            }
            let device = try string("device"), param = try string("param"), op = try string("op")
            guard let v = a["value"] else { throw .missingField(index: i, field: "value") }
            guard case .number(let n) = v else { throw .wrongType(index: i, field: "value", expected: "a number") }
            let action = try validate(device: device, param: param, op: op, value: n, index: i, design: design)
            actions.append(action)
        }
        return ActionPlan(reasoning: String(reasoning.prefix(maximumReasoningLength)), actions: actions)
    }

    /// The knobs `design` has: its device names, then the passives present in its bias mode.
    public static func knobs(of design: Design) -> [String] {
        design.deviceNames + ["Cc", "Rz"] + (design.bias == .ideal ? ["Ibias"] : ["R2"])
    }

    static func validate(device: String, param: String, op: String, value: Double, index i: Int,
                         design: Design) throws(ActionError) -> SizingAction {
        let knobs = knobs(of: design)
        guard knobs.contains(device) else { throw .unknownDevice(index: i, device: device, allowed: knobs) }
        let isPassive = SizingAction.passives[device] != nil
        let allowedParams = isPassive ? ["value"] : ["W", "L", "nf", "m"]
        guard allowedParams.contains(param), let p = SizingAction.Parameter(rawValue: param) else {
            throw .unknownParameter(index: i, device: device, param: param, allowed: allowedParams)
        }
        guard let o = SizingAction.Operation(rawValue: op) else {
            throw .unknownOperation(index: i, op: op, allowed: SizingAction.Operation.allCases.map(\.rawValue))
        }
        guard value.isFinite else { throw .nonFinite(index: i) }
        if o == .scale && value <= 0 { throw .nonPositiveScale(index: i, value: value) }
        return SizingAction(device: device, param: p, op: o, value: value)
    }

    /// The JSON Schema the constrained decoder enforces for `design`: every answer it admits parses.
    /// `reasoningLimit` shortens the reasoning an LLM may write (fewer tokens per call).
    public static func jsonSchema(for design: Design, reasoningLimit: Int = maximumReasoningLength) -> String {
        let knobs = knobs(of: design).map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            {"type": "object", "properties": {\
            "reasoning": {"type": "string", "maxLength": \(min(reasoningLimit, maximumReasoningLength))}, \
            "actions": {"type": "array", "minItems": 1, "maxItems": \(maximumActions), "items": {"type": "object", "properties": {\
            "device": {"enum": [\(knobs)]}, \
            "param": {"enum": ["W", "L", "nf", "m", "value"]}, \
            "op": {"enum": ["scale", "set", "step"]}, \
            "value": {"type": "number"}}, \
            "required": ["device", "param", "op", "value"], "additionalProperties": false}}}, \
            "required": ["reasoning", "actions"], "additionalProperties": false}
            """
    }
}

extension Design {
    /// Applies actions in order, each within `limits`; matched devices (M1/M2, M3/M4) move together.
    public mutating func apply(_ actions: [SizingAction], limits: SizingLimits) throws(ActionError) -> [AppliedAction] {
        var out: [AppliedAction] = []
        for (i, a) in actions.enumerated() {
            // Re-validate: actions may come from code, not only from `ActionPlan.parse`.
            _ = try ActionPlan.validate(device: a.device, param: a.param.rawValue, op: a.op.rawValue, value: a.value,
                                        index: i, design: self)
            out.append(applyOne(a, limits: limits))
        }
        return out
    }

    private static func compute(_ old: Double, _ a: SizingAction) -> Double {
        switch a.op {
        case .scale: old * a.value
        case .step: old + a.value
        case .set: a.value
        }
    }

    /// Clamps `x` into `range`, naming the limit when it bites.
    private static func clamp(_ x: Double, _ range: Interval, _ name: String) -> (Double, String?) {
        if x < range.min { return (range.min, "limits.\(name) min \(range.min)") }
        if x > range.max { return (range.max, "limits.\(name) max \(range.max)") }
        return (x, nil)
    }

    private mutating func applyOne(_ a: SizingAction, limits: SizingLimits) -> AppliedAction {
        if SizingAction.passives[a.device] != nil {
            let (old, range, name): (Double, Interval, String) = switch a.device {
            case "Cc": (ccPF, limits.ccPF, "cc_pf")
            case "Rz": (rzKOhm, limits.rzKOhm, "rz_kohm")
            case "R2": (r2KOhm, limits.r2KOhm, "r2_kohm")
            default: (ibiasUA, limits.ibiasUA, "ibias_ua")
            }
            let requested = Self.compute(old, a)
            let (v, why) = Self.clamp(requested, range, name)
            switch a.device {
            case "Cc": ccPF = v
            case "Rz": rzKOhm = v
            case "R2": r2KOhm = v
            default: ibiasUA = v
            }
            return AppliedAction(action: a, targets: [a.device], oldValue: old, requested: requested, newValue: v, clampedBy: why)
        }
        let targets = Design.matched(a.device).filter { devices[$0] != nil }
        var size = devices[a.device]!
        let old: Double
        let requested: Double
        var why: String?
        var newValue: Double
        switch a.param {
        case .w:
            old = size.w
            requested = Self.compute(old, a)
            // The limit is per finger; the knob is the total width.
            let (perFinger, r) = Self.clamp(requested / Double(size.nf), limits.wUM, "w_um")
            size.w = perFinger * Double(size.nf); why = r; newValue = size.w
        case .l:
            old = size.l
            requested = Self.compute(old, a)
            (size.l, why) = Self.clamp(requested, limits.lUM, "l_um"); newValue = size.l
        case .nf, .m:
            old = Double(a.param == .nf ? size.nf : size.m)
            requested = Self.compute(old, a)
            let (v, r) = Self.clamp(requested.rounded(), a.param == .nf ? limits.fingers : limits.multiplier,
                                    a.param == .nf ? "fingers" : "multiplier")
            why = r
            if a.param == .nf {
                size.nf = Int(v)
                // Keep the total width; pull it back in when the per-finger width leaves its range.
                let (perFinger, r2) = Self.clamp(size.w / v, limits.wUM, "w_um")
                size.w = perFinger * v
                why = why ?? r2
            } else {
                size.m = Int(v)
            }
            newValue = v
        case .value:
            preconditionFailure("validated above: devices take W, L, nf, m")
        }
        for t in targets { devices[t] = size }
        return AppliedAction(action: a, targets: targets, oldValue: old, requested: requested, newValue: newValue, clampedBy: why)
    }
}

/// A JSON value, decoded without Foundation's untyped object graph (portable, and booleans stay booleans).
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}
