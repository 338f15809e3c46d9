#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Infer

/// The answer format the LLM fills under constrained decoding: a reasoning sentence and one or two
/// knob moves, each a knob name and a scale factor from a fixed ladder.
///
/// JSON form: `{"reasoning":"...","actions":[{"knob":"M6.W","scale":1.2},{"knob":"Cc","scale":0.9}]}`.
/// Knobs are `<device>.W` and `<device>.L` for the transistors (one per matched group) and the passives
/// by name (`Cc`, `Rz`, `Ibias` or `R2`). Every document the schema admits converts to actions that
/// `Design.apply` accepts, and the compact form bounds the answer's length, so a token budget of
/// `tokenBound` always reaches the closing brace.
public enum LLMActionFormat {
    /// The scale factors an answer may use (the prompt's knowledge is written in these steps).
    public static let factors: [Double] = [0.7, 0.8, 0.85, 0.9, 0.95, 1.05, 1.1, 1.15, 1.2, 1.3, 1.4]
    public static let defaultReasoningLimit = 60
    public static let defaultMaximumActions = 2

    /// The knobs of `design` in answer form: W and L per transistor (the first of each matched group),
    /// then the passives of its bias mode.
    public static func knobs(of design: Design) -> [String] {
        var out: [String] = []
        for d in design.deviceNames where Design.matched(d).first == d {
            out += [d + ".W", d + ".L"]
        }
        return out + ["Cc", "Rz"] + (design.bias == .ideal ? ["Ibias"] : ["R2"])
    }

    /// The action a knob and factor stand for.
    public static func action(knob: String, scale: Double) -> SizingAction {
        if knob.hasSuffix(".W") || knob.hasSuffix(".L") {
            return SizingAction(device: String(knob.dropLast(2)), param: knob.hasSuffix(".W") ? .w : .l, op: .scale, value: scale)
        }
        return SizingAction(device: knob, param: .value, op: .scale, value: scale)
    }

    /// An action in answer form (`M6.W x1.2`), for prompts that quote the expert's moves.
    public static func describe(_ a: SizingAction) -> String {
        let knob = a.param == .value ? a.device : "\(a.device).\(a.param.rawValue)"
        switch a.op {
        case .scale: return "\(knob) x\(String(printf: "%.2f", a.value))"
        case .step: return "\(knob) +\(String(printf: "%.3g", a.value))"
        case .set: return "\(knob) = \(String(printf: "%.3g", a.value))"
        }
    }

    /// The factor on the ladder closest to `x` (in log distance).
    public static func nearestFactor(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1.05 }
        return factors.min { abs(log($0 / x)) < abs(log($1 / x)) }!
    }

    static func factorText(_ f: Double) -> String {
        // Compact JSON as the constraint matches enum values: 0.9, 1.05, no trailing zeros.
        var s = String(printf: "%.2f", f)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// The JSON Schema of an answer for `design`.
    public static func schema(for design: Design, reasoningLimit: Int = defaultReasoningLimit,
                              maximumActions: Int = defaultMaximumActions) -> String {
        let knobs = knobs(of: design).map { "\"\($0)\"" }.joined(separator: ",")
        let scales = factors.map(factorText).joined(separator: ",")
        return """
            {"type":"object","properties":{\
            "reasoning":{"type":"string","maxLength":\(reasoningLimit)},\
            "actions":{"type":"array","minItems":1,"maxItems":\(maximumActions),"items":{"type":"object","properties":{\
            "knob":{"enum":[\(knobs)]},"scale":{"enum":[\(scales)]}},\
            "required":["knob","scale"],"additionalProperties":false}}},\
            "required":["reasoning","actions"],"additionalProperties":false}
            """
    }

    /// The most tokens a compact answer under `schema(for:reasoningLimit:maximumActions:)` can take:
    /// its longest byte length (every token carries at least one byte).
    public static func tokenBound(for design: Design, reasoningLimit: Int = defaultReasoningLimit,
                                  maximumActions: Int = defaultMaximumActions) -> Int {
        let longestKnob = knobs(of: design).map(\.utf8.count).max() ?? 0
        let longestFactor = factors.map { factorText($0).utf8.count }.max() ?? 0
        let frame = #"{"reasoning":"","actions":[]}"#.utf8.count
        let action = #"{"knob":"","scale":},"#.utf8.count + longestKnob + longestFactor
        return frame + reasoningLimit + maximumActions * action
    }

    /// Converts an answer to an action plan; throws when the text is not an answer of this format
    /// (it cannot happen under the constraint, but answers may come from elsewhere).
    public static func plan(from json: String, for design: Design) throws(ActionError) -> ActionPlan {
        guard json.utf8.count <= ActionPlan.maximumJSONLength else {
            throw .malformedJSON("\(json.utf8.count) bytes; at most \(ActionPlan.maximumJSONLength)")
        }
        let answer: Answer
        do { answer = try JSONDecoder().decode(Answer.self, from: Data(json.utf8)) } catch {
            throw .malformedJSON("\(error)")
        }
        guard answer.actions.count <= ActionPlan.maximumActions else {
            throw .tooManyActions(count: answer.actions.count, limit: ActionPlan.maximumActions)
        }
        let knobs = knobs(of: design)
        var actions: [SizingAction] = []
        for (i, a) in answer.actions.enumerated() {
            guard knobs.contains(a.knob) else { throw .unknownDevice(index: i, device: a.knob, allowed: knobs) }
            guard a.scale.isFinite else { throw .nonFinite(index: i) }
            guard a.scale > 0 else { throw .nonPositiveScale(index: i, value: a.scale) }
            actions.append(action(knob: a.knob, scale: a.scale))
        }
        return ActionPlan(reasoning: String(answer.reasoning.prefix(ActionPlan.maximumReasoningLength)), actions: actions)
    }

    private struct Answer: Decodable {
        var reasoning: String
        var actions: [Item]
        struct Item: Decodable { var knob: String; var scale: Double }
    }
}

/// Wraps a JSON constraint so the output is compact: no whitespace outside strings, and strings
/// hold printable ASCII without escapes. Together with a length-bounded schema this bounds the
/// output's length, so a generation given that many tokens always completes.
public struct CompactJSONConstraint<Inner: DecodingConstraint>: DecodingConstraint {
    public var inner: Inner
    /// Whether the output so far ends inside a string.
    private var inString = false

    public init(_ inner: Inner) { self.inner = inner }

    /// Whether `bytes` keep the compact rules, and the string state after them.
    private func lex(_ bytes: [UInt8]) -> Bool? {
        var s = inString
        for b in bytes {
            if s {
                if b == 0x22 { s = false } else if b < 0x20 || b >= 0x7F || b == 0x5C { return nil }
            } else {
                if b == 0x22 { s = true } else if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b >= 0x7F { return nil }
            }
        }
        return s
    }

    public mutating func allows(_ tokenBytes: [UInt8]) -> Bool {
        guard lex(tokenBytes) != nil else { return false }
        return inner.allows(tokenBytes)
    }

    public mutating func accept(_ tokenBytes: [UInt8]) throws {
        guard let s = lex(tokenBytes) else { throw ConstraintError.rejected(offset: 0, byte: tokenBytes.first ?? 0) }
        try inner.accept(tokenBytes)
        inString = s
    }

    public var isComplete: Bool { inner.isComplete }

    public var maskCacheKey: AnyHashable? {
        guard let k = inner.maskCacheKey else { return nil }
        return AnyHashable([k, AnyHashable(inString)])
    }

    public var allowsAnyPlainText: Bool { inString && inner.allowsAnyPlainText }
}
