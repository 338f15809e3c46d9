#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// An expression of ngspice's control language (`let`, `print`, `meas` operands), parsed from text.
///
/// Vector names may carry a plot prefix (`ac1.v(out)`); `v(...)`, `i(...)` and the `v`-family functions
/// (`vdb`, `vp`, `vm`, `vr`, `vi`) take node or source names as written, not expressions.
public indirect enum ControlExpression: Sendable, Equatable {
    case number(Double)
    /// A vector name as written, optionally plot-qualified (`ac1`, `v(out)`).
    case name(plot: String?, String)
    /// `v(a)`, `v(a,b)`, `i(v1)`, `vdb(out)`, ...: a node function over raw names.
    case node(plot: String?, function: String, arguments: [String])
    case call(String, [ControlExpression])
    case negate(ControlExpression)
    case not(ControlExpression)
    case binary(String, ControlExpression, ControlExpression)
    /// `x[i]` or `x[i,j]` (an inclusive range).
    case index(ControlExpression, ControlExpression, ControlExpression?)

    /// Deepest nesting accepted, so hostile input cannot exhaust the stack.
    public static let maximumDepth = 200

    /// Parses one expression; the whole text must be consumed.
    public static func parse(_ text: String) throws -> ControlExpression {
        var parser = ControlExpressionParser(text)
        let expression = try parser.expression(depth: 0)
        parser.skipSpace()
        guard parser.atEnd else {
            throw ControlError(.syntax, "unexpected '\(parser.rest)' in expression '\(text)'")
        }
        return expression
    }

    /// Names of node functions that take raw node names as their arguments.
    static let nodeFunctions: Set<String> = ["v", "i", "vdb", "vp", "vm", "vr", "vi", "vph", "vmag", "vreal", "vimag"]
}

struct ControlExpressionParser {
    let bytes: [UInt8]
    let text: String
    var i = 0

    init(_ text: String) { self.text = text; bytes = Array(text.utf8) }

    var atEnd: Bool { i >= bytes.count }
    var rest: String { String(decoding: bytes[min(i, bytes.count)...], as: UTF8.self) }

    mutating func skipSpace() { while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 } }

    func peek(_ offset: Int = 0) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

    mutating func take(_ s: String) -> Bool {
        skipSpace()
        let u = Array(s.utf8)
        guard i + u.count <= bytes.count, Array(bytes[i..<i + u.count]) == u else { return false }
        i += u.count
        return true
    }

    func error(_ what: String) -> ControlError {
        ControlError(.syntax, "\(what) at column \(i + 1) of expression '\(text)'")
    }

    mutating func expression(depth: Int) throws -> ControlExpression {
        guard depth < ControlExpression.maximumDepth else { throw error("expression nested too deeply") }
        return try disjunction(depth: depth + 1)
    }

    /// Takes a word operator (`gt`, `and`, ...) when it stands alone, so names that merely start with one
    /// (`gain`, `andy`) stay names.
    mutating func takeWord(_ word: String) -> Bool {
        skipSpace()
        let u = Array(word.utf8)
        guard i + u.count <= bytes.count else { return false }
        for (k, c) in u.enumerated() where bytes[i + k] | 0x20 != c { return false }
        if let next = peek(u.count), ControlExpressionParser.isNameByte(next) { return false }
        i += u.count
        return true
    }

    /// `a | b`, `a or b`: ngspice's lowest-precedence operator, 1 where either side is non-zero.
    mutating func disjunction(depth: Int) throws -> ControlExpression {
        var left = try conjunction(depth: depth)
        while take("|") || takeWord("or") { left = .binary("or", left, try conjunction(depth: depth)) }
        return left
    }

    /// `a & b`, `a and b`: 1 where both sides are non-zero.
    mutating func conjunction(depth: Int) throws -> ControlExpression {
        var left = try comparison(depth: depth)
        while take("&") || takeWord("and") { left = .binary("and", left, try comparison(depth: depth)) }
        return left
    }

    /// Word forms of the comparisons, as ngspice spells them where `<` and `>` would redirect output.
    static let comparisonWords = [("ge", ">="), ("le", "<="), ("gt", ">"), ("lt", "<"), ("eq", "=="), ("ne", "!=")]

    mutating func comparison(depth: Int) throws -> ControlExpression {
        var left = try additive(depth: depth)
        while true {
            skipSpace()
            var op: String?
            for candidate in ["<=", ">=", "==", "!=", "<>", "<", ">", "="] where take(candidate) { op = candidate; break }
            if op == nil {
                for (word, symbol) in ControlExpressionParser.comparisonWords where takeWord(word) { op = symbol; break }
            }
            guard let op else { return left }
            let right = try additive(depth: depth)
            left = .binary(op == "=" ? "==" : (op == "<>" ? "!=" : op), left, right)
        }
    }

    mutating func additive(depth: Int) throws -> ControlExpression {
        var left = try multiplicative(depth: depth)
        while true {
            if take("+") { left = .binary("+", left, try multiplicative(depth: depth)) }
            else if take("-") { left = .binary("-", left, try multiplicative(depth: depth)) }
            else { return left }
        }
    }

    mutating func multiplicative(depth: Int) throws -> ControlExpression {
        var left = try unary(depth: depth)
        while true {
            if take("*") { left = .binary("*", left, try unary(depth: depth)) }
            else if take("/") { left = .binary("/", left, try unary(depth: depth)) }
            else if take("%") { left = .binary("%", left, try unary(depth: depth)) }
            else { return left }
        }
    }

    mutating func unary(depth: Int) throws -> ControlExpression {
        guard depth < ControlExpression.maximumDepth else { throw error("expression nested too deeply") }
        if take("-") { return .negate(try unary(depth: depth + 1)) }
        if take("+") { return try unary(depth: depth + 1) }
        if take("!") || takeWord("not") { return .not(try unary(depth: depth + 1)) }
        return try power(depth: depth)
    }

    mutating func power(depth: Int) throws -> ControlExpression {
        let base = try postfix(depth: depth)
        if take("^") || take("**") { return .binary("^", base, try unary(depth: depth + 1)) }
        return base
    }

    mutating func postfix(depth: Int) throws -> ControlExpression {
        var value = try primary(depth: depth)
        while take("[") {
            let lo = try expression(depth: depth + 1)
            var hi: ControlExpression?
            if take(",") || take(":") { hi = try expression(depth: depth + 1) }
            guard take("]") else { throw error("expected ']'") }
            value = .index(value, lo, hi)
        }
        return value
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        SpiceNumber.isLetter(c) || SpiceNumber.isDigit(c) || c == 95 || c == 35 || c == 46 || c == 64 || c == 36 || c == 38
    }

    mutating func primary(depth: Int) throws -> ControlExpression {
        skipSpace()
        guard let c = peek() else { throw error("expression ends early") }
        if c == 40 { // (
            i += 1
            let inner = try expression(depth: depth + 1)
            guard take(")") else { throw error("expected ')'") }
            return inner
        }
        if SpiceNumber.isDigit(c) || (c == 46 && peek(1).map(SpiceNumber.isDigit) == true) {
            return .number(try number())
        }
        if c == 64 { // @dev[param]: the brackets belong to the name
            let start = i
            i += 1
            while let d = peek(), d != 91, ControlExpressionParser.isNameByte(d) { i += 1 }
            guard take("[") else { throw error("expected '[' in device parameter") }
            while let d = peek(), d != 93 { i += 1 }
            guard take("]") else { throw error("expected ']' in device parameter") }
            return .name(plot: nil, String(decoding: bytes[start..<i], as: UTF8.self).lowercased())
        }
        guard SpiceNumber.isLetter(c) || c == 95 || c == 35 else { throw error("unexpected '\(Character(Unicode.Scalar(c)))'") }
        let start = i
        while let d = peek(), ControlExpressionParser.isNameByte(d) { i += 1 }
        var word = String(decoding: bytes[start..<i], as: UTF8.self).lowercased()
        var plot: String?
        // `ac1.v(out)`: a plot prefix before a node function; `ac1.out` is resolved later.
        if peek() == 40, let dot = word.lastIndex(of: ".") {
            plot = String(word[..<dot]); word = String(word[word.index(after: dot)...])
        }
        skipSpace()
        guard peek() == 40 else { return .name(plot: nil, word) }
        i += 1
        if ControlExpression.nodeFunctions.contains(word) {
            let argStart = i
            var nesting = 0
            while let d = peek(), !(d == 41 && nesting == 0) {
                if d == 40 { nesting += 1 } else if d == 41 { nesting -= 1 }
                i += 1
            }
            guard take(")") else { throw error("expected ')' after \(word)(") }
            let raw = String(decoding: bytes[argStart..<(i - 1)], as: UTF8.self)
            let arguments = raw.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            guard (1...2).contains(arguments.count), arguments.allSatisfy({ !$0.isEmpty }) else {
                throw error("\(word)() needs one or two names")
            }
            return .node(plot: plot, function: word, arguments: arguments)
        }
        if plot != nil { throw error("plot prefix '\(plot!).' before function '\(word)'") }
        var arguments: [ControlExpression] = []
        if !take(")") {
            repeat { arguments.append(try expression(depth: depth + 1)) } while take(",")
            guard take(")") else { throw error("expected ')' after arguments of \(word)") }
        }
        return .call(word, arguments)
    }

    mutating func number() throws -> Double {
        let start = i
        while let d = peek(), SpiceNumber.isDigit(d) || d == 46 { i += 1 }
        if let e = peek(), e | 0x20 == 101, let n = peek(1),
           SpiceNumber.isDigit(n) || ((n == 43 || n == 45) && peek(2).map(SpiceNumber.isDigit) == true) {
            i += 2
            while let d = peek(), SpiceNumber.isDigit(d) { i += 1 }
        }
        while let d = peek(), SpiceNumber.isLetter(d) { i += 1 }
        let token = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let value = SpiceNumber.parse(token) else { throw error("bad number '\(token)'") }
        return value
    }
}
