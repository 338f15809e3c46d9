#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// One `.meas` card or control-block `meas` command, parsed: which analysis, the result's name and
/// what to measure.
///
/// ```
/// .meas ac gbw when vdb(out)=0
/// .meas ac pm find vp(out) at=gbw
/// .meas dc tt trig v(out) val=0.1 rise=1 targ v(out) val=0.9 rise=1
/// ```
public struct Measure: Sendable {
    /// `ac`, `dc`, `tran`, `noise` or `sp`, as written.
    public var analysis: String
    /// The result's name, lowercased.
    public var name: String
    public var spec: Spec
    /// The text after `meas` as written, for messages.
    public var text: String
    public var location: SourceLocation?

    public enum Spec: Sendable {
        case findAt(ControlExpression, at: ControlExpression)
        case findWhen(ControlExpression, Condition)
        case when(Condition)
        case derivativeAt(ControlExpression, at: ControlExpression)
        case derivativeWhen(ControlExpression, Condition)
        case trigTarg(trig: Condition, targ: Condition)
        case statistic(Statistic, ControlExpression, from: ControlExpression?, to: ControlExpression?)
        case param(ControlExpression)
    }

    public enum Statistic: String, Sendable { case max, min, pp, avg, rms, integ }

    /// Which crossings count.
    public enum Edge: String, Sendable { case rise, fall, cross }

    /// `lhs = rhs` with RISE/FALL/CROSS=n|LAST and TD; or a fixed point (`trig at=...`).
    public struct Condition: Sendable {
        public var lhs: ControlExpression?
        public var rhs: ControlExpression
        public var edge: Edge = .cross
        /// nil means LAST.
        public var occurrence: Int? = 1
        public var delay: ControlExpression?
        public var from: ControlExpression?
        public var to: ControlExpression?
        /// `trig at=value`: the condition is that scale point itself.
        public var isFixedPoint = false
    }

    static let analyses: Set<String> = ["ac", "dc", "tran", "noise", "sp", "op"]

    /// Parses the text after `.meas`/`meas`: `analysis name kind ...`.
    public static func parse(_ text: String, location: SourceLocation? = nil) throws -> Measure {
        func fail(_ message: String) -> ControlError {
            ControlError(.syntax, "meas \(text.trimmingWhitespace()): \(message)", location: location)
        }
        var tokens = try tokenize(text, fail: fail)
        guard tokens.count >= 3 else { throw fail("needs 'analysis name measurement ...'") }
        let analysis = tokens.removeFirst().lowercased()
        guard analyses.contains(analysis) else { throw fail("unknown analysis type '\(analysis)'") }
        let name = tokens.removeFirst().lowercased()
        guard let first = name.first, first.isLetter || first == "_" else { throw fail("bad result name '\(name)'") }
        var p = TokenCursor(tokens: tokens, fail: fail)
        let keyword = p.next()!.lowercased()
        let spec: Spec
        switch keyword {
        case "find":
            let expr = try p.expression()
            if let at = try p.option("at") {
                spec = .findAt(expr, at: at)
            } else {
                guard p.take("when") else { throw fail("find needs 'at=' or 'when'") }
                spec = .findWhen(expr, try p.condition())
            }
        case "when":
            spec = .when(try p.condition())
        case "deriv", "derivative":
            let expr = try p.expression()
            if let at = try p.option("at") {
                spec = .derivativeAt(expr, at: at)
            } else {
                guard p.take("when") else { throw fail("deriv needs 'at=' or 'when'") }
                spec = .derivativeWhen(expr, try p.condition())
            }
        case "trig":
            let trig = try p.trigger()
            guard p.take("targ") else { throw fail("trig needs a 'targ' part") }
            spec = .trigTarg(trig: trig, targ: try p.trigger())
        case "max", "min", "pp", "avg", "rms", "integ", "integral":
            let statistic = Statistic(rawValue: keyword == "integral" ? "integ" : keyword)!
            let expr = try p.expression()
            var from: ControlExpression?, to: ControlExpression?
            while let (key, value) = try p.keyValue() {
                switch key {
                case "from": from = value
                case "to": to = value
                default: throw fail("unexpected '\(key)=' for \(keyword)")
                }
            }
            spec = .statistic(statistic, expr, from: from, to: to)
        case "param":
            guard let value = try p.option("") else { throw fail("param needs '=expression'") }
            spec = .param(value)
        default:
            if keyword.hasPrefix("param=") {
                spec = .param(try parseValue(String(keyword.dropFirst(6)), fail: fail))
            } else {
                throw fail("unknown measurement '\(keyword)'")
            }
        }
        guard p.atEnd else { throw fail("unexpected '\(p.tokens[p.index...].joined(separator: " "))'") }
        return Measure(analysis: analysis, name: name, spec: spec,
                           text: text.trimmingWhitespace(), location: location)
    }

    /// Words split at top-level blanks, with `=` its own token; quotes keep their contents together.
    static func tokenize(_ text: String, fail: (String) -> ControlError) throws -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        func flush() { if !current.isEmpty { tokens.append(current); current = "" } }
        for ch in text {
            if let q = quote {
                current.append(ch)
                if ch == q { quote = nil }
                continue
            }
            switch ch {
            case "'", "\"", "{": quote = ch == "{" ? "}" : ch; current.append(ch)
            case "(", "[": depth += 1; current.append(ch)
            case ")", "]": depth -= 1; current.append(ch)
            case " ", "\t", ",": if depth > 0 { current.append(ch) } else { flush() }
            case "=" where depth == 0: flush(); tokens.append("=")
            default: current.append(ch)
            }
        }
        guard quote == nil, depth == 0 else { throw fail("unbalanced quotes or parentheses") }
        flush()
        return tokens
    }

    /// A value token: a number, a name (an earlier result) or a quoted expression.
    static func parseValue(_ token: String, fail: (String) -> ControlError) throws -> ControlExpression {
        var t = token
        if t.count >= 2, let f = t.first, "'\"{".contains(f) { t = String(t.dropFirst().dropLast()) }
        do { return try ControlExpression.parse(t) } catch let error as ControlError {
            throw fail(error.message)
        }
    }

    struct TokenCursor {
        var tokens: [String]
        var index = 0
        let fail: (String) -> ControlError

        var atEnd: Bool { index >= tokens.count }
        mutating func next() -> String? {
            guard index < tokens.count else { return nil }
            defer { index += 1 }
            return tokens[index]
        }
        func peek(_ k: Int = 0) -> String? { index + k < tokens.count ? tokens[index + k] : nil }
        mutating func take(_ word: String) -> Bool {
            guard peek()?.lowercased() == word else { return false }
            index += 1
            return true
        }
        mutating func expression() throws -> ControlExpression {
            guard let t = next(), t != "=" else { throw fail("expected an expression") }
            return try Measure.parseValue(t, fail: fail)
        }
        /// `key = value` for the given key (or any, when key is empty and the next token is '=').
        mutating func option(_ key: String) throws -> ControlExpression? {
            if key.isEmpty {
                guard peek() == "=" else { return nil }
                index += 1
                return try expression()
            }
            guard peek()?.lowercased() == key, peek(1) == "=" else { return nil }
            index += 2
            return try expression()
        }
        mutating func keyValue() throws -> (String, ControlExpression)? {
            guard let key = peek(), peek(1) == "=" else { return nil }
            index += 2
            return (key.lowercased(), try expression())
        }
        /// Options after a condition: rise/fall/cross=n|last, td=, from=, to=.
        mutating func edgeOptions(_ c: inout Measure.Condition) throws {
            while let key = peek()?.lowercased(), peek(1) == "=" {
                switch key {
                case "rise", "fall", "cross":
                    index += 2
                    guard let value = next() else { throw fail("\(key)= needs a count") }
                    c.edge = Measure.Edge(rawValue: key)!
                    if value.lowercased() == "last" { c.occurrence = nil }
                    else if let n = Int(value), n >= 1 { c.occurrence = n }
                    else { throw fail("\(key)=\(value): expected a positive count or LAST") }
                case "td": index += 2; c.delay = try expression()
                case "from": index += 2; c.from = try expression()
                case "to": index += 2; c.to = try expression()
                default: return
                }
            }
        }
        /// `lhs = rhs [options]` after WHEN.
        mutating func condition() throws -> Measure.Condition {
            let lhs = try expression()
            guard take("=") else { throw fail("when needs 'expression=value'") }
            var c = Measure.Condition(lhs: lhs, rhs: try expression())
            try edgeOptions(&c)
            return c
        }
        /// `expr val=v [options]` or `at=t` after TRIG/TARG.
        mutating func trigger() throws -> Measure.Condition {
            if let at = try option("at") {
                var c = Measure.Condition(lhs: nil, rhs: at)
                c.isFixedPoint = true
                return c
            }
            let lhs = try expression()
            guard let value = try option("val") else { throw fail("trig/targ needs 'val='") }
            var c = Measure.Condition(lhs: lhs, rhs: value)
            try edgeOptions(&c)
            return c
        }
    }
}
