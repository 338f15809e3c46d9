#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed arithmetic expression in ngspice's parameter language.
///
/// Grammar, loosest binding first: `c ? a : b`, `||`, `&&`, `== !=`, `< > <= >=`, `+ -`, `* / %`,
/// unary `- + !`, then `**` / `^` (left-associative and tighter than unary minus, so `-2^2` is −4 and
/// `2^3^2` is 64, as ngspice computes). Numbers take SPICE suffixes. There are no built-in constants:
/// ngspice 39 rejects `pi` and `e` as undefined parameters.
public struct Expression: Sendable, CustomStringConvertible {
    /// The source text, for error messages.
    public let text: String
    let root: Node

    /// Deepest nesting of parentheses and operators the parser accepts before reporting an error.
    public static let maximumDepth = 200

    indirect enum Node: Sendable {
        case number(Double)
        case name(String)
        case unary(UInt8, Node)
        case binary(Op, Node, Node)
        case ternary(Node, Node, Node)
        case call(String, [Node])
    }

    enum Op: Sendable { case add, sub, mul, div, mod, pow, lt, gt, le, ge, eq, ne, and, or }

    /// Parses `text`; throws `NetlistError` (without a location) on a syntax error.
    public static func parse(_ text: String) throws -> Expression {
        var p = ExpressionParser(bytes: Array(text.utf8), text: text)
        let node = try p.parseTop()
        // Long operator chains (`1+1+...+1`) parse without recursion but build deep trees; bound the
        // tree so evaluation cannot exhaust the stack.
        if treeDepth(node) > maximumTreeDepth {
            throw NetlistError("expression has more than \(maximumTreeDepth) levels of operators")
        }
        return Expression(text: text, root: node)
    }

    /// Deepest operator tree accepted.
    public static let maximumTreeDepth = 2000

    /// The tree's depth, computed without recursion.
    static func treeDepth(_ root: Node) -> Int {
        var stack: [(Node, Int)] = [(root, 1)]
        var deepest = 0
        while let (n, d) = stack.popLast() {
            deepest = Swift.max(deepest, d)
            switch n {
            case .number, .name: break
            case .unary(_, let a): stack.append((a, d + 1))
            case .binary(_, let a, let b): stack.append((a, d + 1)); stack.append((b, d + 1))
            case .ternary(let a, let b, let c): stack.append((a, d + 1)); stack.append((b, d + 1)); stack.append((c, d + 1))
            case .call(_, let args): for a in args { stack.append((a, d + 1)) }
            }
        }
        return deepest
    }

    public var description: String { text }

    /// Evaluates with `scope` giving parameter values by lowercased name.
    public func evaluate(_ scope: [String: Double]) throws -> Double {
        try evaluate { scope[$0] }
    }

    /// Evaluates with `lookup` resolving lowercased parameter names (nil: undefined).
    public func evaluate(lookup: (String) throws -> Double?) throws -> Double {
        try eval(root, lookup)
    }

    /// The parameter names the expression mentions.
    public var names: Set<String> {
        var out = Set<String>()
        func walk(_ n: Node) {
            switch n {
            case .number: break
            case .name(let s): out.insert(s)
            case .unary(_, let a): walk(a)
            case .binary(_, let a, let b): walk(a); walk(b)
            case .ternary(let a, let b, let c): walk(a); walk(b); walk(c)
            case .call(_, let args): args.forEach(walk)
            }
        }
        walk(root)
        return out
    }

    private func eval(_ node: Node, _ lookup: (String) throws -> Double?) throws -> Double {
        switch node {
        case .number(let v): return v
        case .name(let s):
            guard let v = try lookup(s) else { throw NetlistError("undefined parameter '\(s)'") }
            return v
        case .unary(let op, let a):
            let x = try eval(a, lookup)
            switch op {
            case UInt8(ascii: "-"): return -x
            case UInt8(ascii: "!"): return x == 0 ? 1 : 0
            default: return x
            }
        case .ternary(let c, let a, let b):
            return try eval(c, lookup) != 0 ? eval(a, lookup) : eval(b, lookup)
        case .binary(let op, let a, let b):
            let x = try eval(a, lookup)
            // Short-circuit so that `x != 0 && 1/x > 2` does not divide by zero.
            if op == .and { return x != 0 ? (try eval(b, lookup) != 0 ? 1 : 0) : 0 }
            if op == .or { return x != 0 ? 1 : (try eval(b, lookup) != 0 ? 1 : 0) }
            let y = try eval(b, lookup)
            switch op {
            case .add: return x + y
            case .sub: return x - y
            case .mul: return x * y
            case .div:
                guard y != 0 else { throw NetlistError("division by zero in '\(text)'") }
                return x / y
            case .mod:
                guard y != 0 else { throw NetlistError("division by zero in '\(text)'") }
                return fmod(x, y)
            case .pow: return Glibc.pow(x, y)
            case .lt: return x < y ? 1 : 0
            case .gt: return x > y ? 1 : 0
            case .le: return x <= y ? 1 : 0
            case .ge: return x >= y ? 1 : 0
            case .eq: return x == y ? 1 : 0
            case .ne: return x != y ? 1 : 0
            case .and, .or: return 0
            }
        case .call(let f, let argNodes):
            var args = [Double]()
            args.reserveCapacity(argNodes.count)
            for a in argNodes { args.append(try eval(a, lookup)) }
            return try Expression.apply(f, args, text)
        }
    }

    /// Argument counts of the built-in functions (-1: one or more).
    static let arity: [String: Int] = [
        "sqrt": 1, "exp": 1, "ln": 1, "log": 1, "log10": 1, "abs": 1, "int": 1, "nint": 1, "floor": 1,
        "ceil": 1, "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1,
        "tanh": 1, "asinh": 1, "acosh": 1, "atanh": 1, "sgn": 1, "min": -1, "max": -1, "pow": 2, "pwr": 2,
        "atan2": 2, "ternary_fcn": 3,
        // Monte-Carlo draws evaluate to their nominal value: deterministic, and what a nominal run uses.
        "agauss": 3, "gauss": 3, "aunif": 2, "unif": 2,
    ]

    static func apply(_ f: String, _ a: [Double], _ text: String) throws -> Double {
        switch f {
        case "sqrt": return a[0].squareRoot()
        case "exp": return Glibc.exp(a[0])
        // ngspice's `log` is the natural logarithm.
        case "ln", "log": return Glibc.log(a[0])
        case "log10": return Glibc.log10(a[0])
        case "abs": return Swift.abs(a[0])
        case "int": return a[0].rounded(.towardZero)
        case "nint": return a[0].rounded(.toNearestOrEven)
        case "floor": return a[0].rounded(.down)
        case "ceil": return a[0].rounded(.up)
        case "sin": return Glibc.sin(a[0])
        case "cos": return Glibc.cos(a[0])
        case "tan": return Glibc.tan(a[0])
        case "asin": return Glibc.asin(a[0])
        case "acos": return Glibc.acos(a[0])
        case "atan": return Glibc.atan(a[0])
        case "sinh": return Glibc.sinh(a[0])
        case "cosh": return Glibc.cosh(a[0])
        case "tanh": return Glibc.tanh(a[0])
        case "asinh": return Glibc.asinh(a[0])
        case "acosh": return Glibc.acosh(a[0])
        case "atanh": return Glibc.atanh(a[0])
        case "sgn": return a[0] > 0 ? 1 : (a[0] < 0 ? -1 : 0)
        case "min": return a.min()!
        case "max": return a.max()!
        case "pow": return Glibc.pow(a[0], a[1])
        // ngspice's pwr(x, y) is |x|^y (pwr(-2, 3) = 8 in ngspice 39).
        case "pwr": return Glibc.pow(Swift.abs(a[0]), a[1])
        case "atan2": return Glibc.atan2(a[0], a[1])
        case "ternary_fcn": return a[0] != 0 ? a[1] : a[2]
        case "agauss", "gauss", "aunif", "unif": return a[0]
        default: throw NetlistError("unknown function '\(f)' in '\(text)'")
        }
    }
}

/// Recursive-descent parser over UTF-8 bytes.
struct ExpressionParser {
    let bytes: [UInt8]
    let text: String
    var i = 0
    var depth = 0

    init(bytes: [UInt8], text: String) { self.bytes = bytes; self.text = text }

    mutating func parseTop() throws -> Expression.Node {
        skipSpace()
        guard i < bytes.count else { throw NetlistError("empty expression") }
        let n = try ternary()
        skipSpace()
        if i < bytes.count {
            if bytes[i] == UInt8(ascii: ")") { throw NetlistError("unbalanced ')' in expression '\(text)'") }
            throw NetlistError("unexpected '\(String(decoding: bytes[i...], as: UTF8.self))' in expression '\(text)'")
        }
        return n
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func peek(_ s: String) -> Bool {
        skipSpace()
        var k = i
        for c in s.utf8 { guard k < bytes.count, bytes[k] == c else { return false }; k += 1 }
        return true
    }

    mutating func eat(_ s: String) -> Bool {
        guard peek(s) else { return false }
        i += s.utf8.count
        return true
    }

    mutating func enter() throws {
        depth += 1
        if depth > Expression.maximumDepth {
            throw NetlistError("expression nested deeper than \(Expression.maximumDepth) levels")
        }
    }

    mutating func ternary() throws -> Expression.Node {
        try enter(); defer { depth -= 1 }
        let c = try binary(0)
        if eat("?") {
            let a = try ternary()
            guard eat(":") else { throw NetlistError("expected ':' after '?' in expression '\(text)'") }
            let b = try ternary()
            return .ternary(c, a, b)
        }
        return c
    }

    static let levels: [[(String, Expression.Op)]] = [
        [("||", .or)],
        [("&&", .and)],
        [("==", .eq), ("!=", .ne)],
        [("<=", .le), (">=", .ge), ("<", .lt), (">", .gt)],
        [("+", .add), ("-", .sub)],
        [("*", .mul), ("/", .div), ("%", .mod)],
    ]

    mutating func binary(_ level: Int) throws -> Expression.Node {
        if level == Self.levels.count { return try unary() }
        var lhs = try binary(level + 1)
        outer: while true {
            for (sym, op) in Self.levels[level] {
                // `*` must not swallow the first half of `**`.
                if sym == "*", peek("**") { continue }
                if eat(sym) {
                    let rhs = try binary(level + 1)
                    lhs = .binary(op, lhs, rhs)
                    continue outer
                }
            }
            return lhs
        }
    }

    mutating func unary() throws -> Expression.Node {
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")
            || (bytes[i] == UInt8(ascii: "!") && !(i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "="))) {
            let op = bytes[i]
            i += 1
            try enter(); defer { depth -= 1 }
            return .unary(op, try unary())
        }
        return try power()
    }

    mutating func power() throws -> Expression.Node {
        var lhs = try primary()
        while true {
            if eat("**") || eat("^") {
                // The exponent may carry its own sign: `2**-1`.
                skipSpace()
                var rhs: Expression.Node
                if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                    let op = bytes[i]
                    i += 1
                    try enter(); defer { depth -= 1 }
                    rhs = .unary(op, try primary())
                } else {
                    rhs = try primary()
                }
                lhs = .binary(.pow, lhs, rhs)
            } else {
                return lhs
            }
        }
    }

    mutating func primary() throws -> Expression.Node {
        skipSpace()
        guard i < bytes.count else { throw NetlistError("expression '\(text)' ends early") }
        let c = bytes[i]
        if c == UInt8(ascii: "(") {
            i += 1
            try enter(); defer { depth -= 1 }
            let n = try ternary()
            guard eat(")") else { throw NetlistError("unterminated '(' in expression '\(text)'") }
            return n
        }
        if SpiceNumber.isDigit(c) || (c == UInt8(ascii: ".") && i + 1 < bytes.count && SpiceNumber.isDigit(bytes[i + 1])) {
            guard let (v, end) = bytes.withUnsafeBufferPointer({ SpiceNumber.scan($0, from: i, allowMil: false) }) else {
                throw NetlistError("bad number in expression '\(text)'")
            }
            i = end
            return .number(v)
        }
        if SpiceNumber.isLetter(c) || c == UInt8(ascii: "_") {
            let start = i
            while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
            let name = String(decoding: bytes[start..<i], as: UTF8.self).lowercased()
            if peek("(") {
                guard let want = Expression.arity[name] else {
                    throw NetlistError("unknown function '\(name)' in expression '\(text)'")
                }
                i += 1
                try enter(); defer { depth -= 1 }
                var args = [Expression.Node]()
                if !peek(")") {
                    repeat { args.append(try ternary()) } while eat(",")
                }
                guard eat(")") else { throw NetlistError("unterminated '(' in expression '\(text)'") }
                if want >= 0 ? args.count != want : args.isEmpty {
                    throw NetlistError("function '\(name)' takes \(want >= 0 ? "\(want)" : "at least 1") argument\(want == 1 ? "" : "s"), got \(args.count) in '\(text)'")
                }
                return .call(name, args)
            }
            return .name(name)
        }
        throw NetlistError("unexpected '\(Character(Unicode.Scalar(c)))' in expression '\(text)'")
    }

    func isNameByte(_ c: UInt8) -> Bool {
        SpiceNumber.isLetter(c) || SpiceNumber.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
    }
}
