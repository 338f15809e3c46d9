#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Spice

/// The sandboxed arithmetic language the initiation agent writes sizing equations in.
///
/// ```
/// # tail current from the slew spec
/// i5 = sr * cc            # constants given by Miller: sr, cc, kn, ...
/// w1 = 2 * i5 / 2 / (kn * vov1^2) * l1; l1 = 2u
/// ```
/// One assignment per line or per `;`; `#` starts a comment. Operators `+ - * / ^` (also `− × ÷`),
/// parentheses, unary minus; `^` binds tighter than unary minus and groups to the right
/// (`-2^2` = −4, `2^3^2` = 512). Functions: `sqrt ln exp abs min max` (min/max take two or more
/// arguments). Numbers take SPICE scale suffixes (`2p`, `10k`, `1meg`, `0.5u`, `m` is milli) and no unit letters. Names are case-sensitive
/// and may read given constants and earlier assignments. No loops, no I/O, nothing else: evaluation
/// happens while parsing, so nesting depth bounds the recursion and there is no tree to walk.
public enum SizingScript {
    public static let maximumSourceLength = 16_384
    public static let maximumStatements = 256
    public static let maximumDepth = 64
    public static let functions = ["sqrt", "ln", "exp", "abs", "min", "max"]

    /// Runs `source` with `constants` readable but not assignable; returns the assignments in order
    /// (a name assigned twice keeps its last value, at its first position).
    public static func run(_ source: String, constants: [String: Double] = [:]) throws(SizingScriptError) -> [(name: String, value: Double)] {
        guard source.utf8.count <= maximumSourceLength else {
            throw .tooLong(length: source.utf8.count, limit: maximumSourceLength)
        }
        var p = ScriptParser(chars: Array(source.unicodeScalars), constants: constants)
        return try p.program()
    }

    /// `run` as a dictionary.
    public static func evaluate(_ source: String, constants: [String: Double] = [:]) throws(SizingScriptError) -> [String: Double] {
        Dictionary(try run(source, constants: constants).map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
    }
}

/// Why a sizing script was rejected; every case past the size checks names its 1-based line.
public enum SizingScriptError: Error, CustomStringConvertible, Sendable, Equatable {
    case tooLong(length: Int, limit: Int)
    case tooManyStatements(line: Int, limit: Int)
    case syntax(line: Int, column: Int, message: String)
    case tooDeep(line: Int, limit: Int)
    case undefinedName(line: Int, name: String)
    case unknownFunction(line: Int, name: String, allowed: [String])
    case argumentCount(line: Int, function: String, expected: String, got: Int)
    case divisionByZero(line: Int)
    /// A result that is infinite or not a number: overflow (`10^400`), `sqrt(-1)`, `ln(0)`.
    case nonFinite(line: Int, what: String)
    case assignsConstant(line: Int, name: String)

    public var description: String {
        switch self {
        case .tooLong(let n, let limit): return "sizing script is \(n) bytes; the limit is \(limit)"
        case .tooManyStatements(let l, let limit): return "line \(l): more than \(limit) statements"
        case .syntax(let l, let c, let m): return "line \(l), column \(c): \(m)"
        case .tooDeep(let l, let limit): return "line \(l): expression nested deeper than \(limit) levels"
        case .undefinedName(let l, let n): return "line \(l): '\(n)' is not defined (not a given constant nor assigned above)"
        case .unknownFunction(let l, let n, let allowed):
            return "line \(l): unknown function '\(n)'; allowed: \(allowed.joined(separator: ", "))"
        case .argumentCount(let l, let f, let e, let g): return "line \(l): \(f) takes \(e) argument(s), got \(g)"
        case .divisionByZero(let l): return "line \(l): division by zero"
        case .nonFinite(let l, let what): return "line \(l): \(what) is not a finite number (overflow or outside the function's domain)"
        case .assignsConstant(let l, let n): return "line \(l): '\(n)' is a given constant and cannot be reassigned"
        }
    }
}

/// Single-pass parser-evaluator over Unicode scalars.
struct ScriptParser {
    let chars: [Unicode.Scalar]
    let constants: [String: Double]
    var vars: [String: Double] = [:]
    var order: [String] = []
    var i = 0
    var line = 1
    var lineStart = 0
    var depth = 0

    init(chars: [Unicode.Scalar], constants: [String: Double]) { self.chars = chars; self.constants = constants }

    var current: Unicode.Scalar? { i < chars.count ? chars[i] : nil }
    func syntax(_ m: String) -> SizingScriptError { .syntax(line: line, column: i - lineStart + 1, message: m) }

    mutating func skipSpace() {
        while let c = current, c == " " || c == "\t" || c == "\r" { i += 1 }
        if current == "#" { while let c = current, c != "\n" { i += 1 } }
    }

    mutating func program() throws(SizingScriptError) -> [(name: String, value: Double)] {
        var statements = 0
        while true {
            skipSpace()
            guard let c = current else { break }
            if c == "\n" { i += 1; line += 1; lineStart = i; continue }
            if c == ";" { i += 1; continue }
            statements += 1
            if statements > SizingScript.maximumStatements {
                throw .tooManyStatements(line: line, limit: SizingScript.maximumStatements)
            }
            try statement()
        }
        return order.map { ($0, vars[$0]!) }
    }

    static func isNameStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
    static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || (c >= "0" && c <= "9") }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static let suffixes: Set<String> = ["", "t", "g", "meg", "k", "m", "u", "n", "p", "f"]

    mutating func name() -> String? {
        guard let c = current, Self.isNameStart(c) else { return nil }
        var s = ""
        while let d = current, Self.isNameChar(d) { s.unicodeScalars.append(d); i += 1 }
        return s
    }

    mutating func statement() throws(SizingScriptError) {
        guard let target = name() else {
            throw syntax(current.map { "expected 'name = expression', found '\($0)'" } ?? "expected a statement")
        }
        let statementLine = line
        skipSpace()
        guard current == "=" else { throw syntax("expected '=' after '\(target)'") }
        i += 1
        if constants[target] != nil { throw .assignsConstant(line: statementLine, name: target) }
        let v = try expression()
        skipSpace()
        if let c = current, c != "\n", c != ";" { throw syntax("unexpected '\(c)' after the expression") }
        guard v.isFinite else { throw .nonFinite(line: statementLine, what: "'\(target)'") }
        if vars[target] == nil { order.append(target) }
        vars[target] = v
    }

    mutating func enter() throws(SizingScriptError) {
        depth += 1
        if depth > SizingScript.maximumDepth { throw .tooDeep(line: line, limit: SizingScript.maximumDepth) }
    }

    func finite(_ v: Double, _ what: @autoclosure () -> String) throws(SizingScriptError) -> Double {
        guard v.isFinite else { throw .nonFinite(line: line, what: what()) }
        return v
    }

    /// Sum: terms joined by `+ -` (a loop, so long chains do not recurse).
    mutating func expression() throws(SizingScriptError) -> Double {
        try enter(); defer { depth -= 1 }
        var v = try term()
        while true {
            skipSpace()
            guard let c = current else { return v }
            if c == "+" { i += 1; v = try finite(v + term(), "a sum") }
            else if c == "-" || c == "−" { i += 1; v = try finite(v - term(), "a difference") }
            else { return v }
        }
    }

    mutating func term() throws(SizingScriptError) -> Double {
        var v = try unary()
        while true {
            skipSpace()
            guard let c = current else { return v }
            if c == "*" || c == "×" {
                i += 1
                v = try finite(v * unary(), "a product")
            } else if c == "/" || c == "÷" {
                i += 1
                let d = try unary()
                guard d != 0 else { throw .divisionByZero(line: line) }
                v = try finite(v / d, "a quotient")
            } else {
                return v
            }
        }
    }

    mutating func unary() throws(SizingScriptError) -> Double {
        skipSpace()
        if current == "-" || current == "−" {
            i += 1
            try enter(); defer { depth -= 1 }
            return -(try unary())
        }
        if current == "+" {
            i += 1
            try enter(); defer { depth -= 1 }
            return try unary()
        }
        return try power()
    }

    /// `a ^ b`, right-associative; the exponent may carry a sign (`2^-3`).
    mutating func power() throws(SizingScriptError) -> Double {
        let base = try primary()
        skipSpace()
        guard current == "^" else { return base }
        i += 1
        try enter(); defer { depth -= 1 }
        let exponent = try unary()
        if base == 0 && exponent < 0 { throw .divisionByZero(line: line) }
        return try finite(Glibc.pow(base, exponent), "a power")
    }

    mutating func primary() throws(SizingScriptError) -> Double {
        skipSpace()
        guard let c = current else { throw syntax("expression ends early") }
        if c == "(" {
            i += 1
            try enter(); defer { depth -= 1 }
            let v = try expression()
            skipSpace()
            guard current == ")" else { throw syntax("expected ')'") }
            i += 1
            return v
        }
        if Self.isDigit(c) || (c == "." && i + 1 < chars.count && Self.isDigit(chars[i + 1])) { return try number() }
        if let n = name() {
            skipSpace()
            if current == "(" { return try call(n) }
            if let v = vars[n] ?? constants[n] { return v }
            throw .undefinedName(line: line, name: n)
        }
        throw syntax("unexpected '\(c)'")
    }

    /// A decimal literal with an optional exponent and SPICE scale suffix, read by `SpiceNumber`.
    mutating func number() throws(SizingScriptError) -> Double {
        let start = i
        var s = ""
        while let c = current, Self.isDigit(c) || c == "." { s.unicodeScalars.append(c); i += 1 }
        if let c = current, c == "e" || c == "E", i + 1 < chars.count {
            var j = i + 1
            if chars[j] == "+" || chars[j] == "-" { j += 1 }
            if j < chars.count, Self.isDigit(chars[j]) {
                while i < j { s.unicodeScalars.append(chars[i]); i += 1 }
                while let d = current, Self.isDigit(d) { s.unicodeScalars.append(d); i += 1 }
            }
        }
        var suffix = ""
        while let c = current, Self.isNameStart(c) { suffix.unicodeScalars.append(c); i += 1 }
        s += suffix
        // Only scale suffixes: ngspice would read `2x` as 2 with unit x, which hides a missing `*`.
        guard Self.suffixes.contains(suffix.lowercased()) else {
            throw .syntax(line: line, column: start - lineStart + 1,
                          message: "bad number '\(s)' (suffixes allowed: t g meg k m u n p f; write 2*x for a product)")
        }
        guard let v = SpiceNumber.parse(s) else {
            throw .syntax(line: line, column: start - lineStart + 1, message: "bad number '\(s)'")
        }
        return try finite(v, "the number '\(s)'")
    }

    mutating func call(_ f: String) throws(SizingScriptError) -> Double {
        guard SizingScript.functions.contains(f) else {
            throw .unknownFunction(line: line, name: f, allowed: SizingScript.functions)
        }
        i += 1  // "("
        try enter(); defer { depth -= 1 }
        var args: [Double] = []
        skipSpace()
        if current != ")" {
            while true {
                args.append(try expression())
                skipSpace()
                if current == "," { i += 1; continue }
                break
            }
        }
        guard current == ")" else { throw syntax("expected ')' or ',' in the arguments of \(f)") }
        i += 1
        switch f {
        case "min", "max":
            guard args.count >= 2 else { throw .argumentCount(line: line, function: f, expected: "2 or more", got: args.count) }
            return f == "min" ? args.min()! : args.max()!
        default:
            guard args.count == 1 else { throw .argumentCount(line: line, function: f, expected: "1", got: args.count) }
            let x = args[0]
            let v: Double
            switch f {
            case "sqrt": v = x.squareRoot()
            case "ln": v = Glibc.log(x)
            case "exp": v = Glibc.exp(x)
            default: v = Swift.abs(x)
            }
            return try finite(v, "\(f)(\(x))")
        }
    }
}
