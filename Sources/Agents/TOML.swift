/// A value from the strict TOML subset that spec files use.
///
/// The subset: `[table]` and `[a.b]` headers, `key = value` with bare keys (`A-Za-z0-9_-`), basic
/// strings with `\" \\ \n \t` escapes, integers and floats (optional sign, `_` separators, exponent),
/// `true`/`false`, arrays (may span lines, trailing comma allowed) and single-line inline tables,
/// `#` comments. No dates, literal strings, multi-line strings or arrays of tables.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The TOML type name, for error messages.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .array: "array"
        case .table: "table"
        }
    }
}

/// A TOML table: keys in source order, each with its value and where it was written.
public struct TOMLTable: Sendable, Equatable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: TOMLValue] = [:]
    /// 1-based line of each key's definition.
    public private(set) var lines: [String: Int] = [:]

    public init() {}

    public subscript(key: String) -> TOMLValue? { values[key] }

    /// Adds a key; false when it is already present.
    mutating func insert(_ key: String, _ value: TOMLValue, line: Int) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key); values[key] = value; lines[key] = line
        return true
    }

    mutating func replace(_ key: String, _ value: TOMLValue) { values[key] = value }
}

/// A syntax error in TOML text, with its 1-based line and column.
public struct TOMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Parses the TOML subset into a root table.
public enum TOML {
    /// Deepest nesting of arrays and inline tables accepted (keeps recursion bounded).
    public static let maximumDepth = 32

    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var p = TOMLParser(chars: Array(text.unicodeScalars))
        return try p.document()
    }
}

struct TOMLParser {
    let chars: [Unicode.Scalar]
    var i = 0
    var line = 1
    var lineStart = 0
    var depth = 0

    init(chars: [Unicode.Scalar]) { self.chars = chars }

    var column: Int { i - lineStart + 1 }
    var atEnd: Bool { i >= chars.count }
    var current: Unicode.Scalar? { i < chars.count ? chars[i] : nil }

    func fail(_ message: String) -> TOMLError { TOMLError(line: line, column: column, message: message) }

    mutating func advance() {
        if chars[i] == "\n" { line += 1; lineStart = i + 1 }
        i += 1
    }

    /// Skips spaces and tabs (and a comment) on the current line.
    mutating func skipInline() {
        while let c = current, c == " " || c == "\t" || c == "\r" { advance() }
        if current == "#" { while let c = current, c != "\n" { advance() } }
    }

    /// Skips whitespace, comments and newlines (inside arrays).
    mutating func skipAll() {
        while true {
            skipInline()
            if current == "\n" { advance() } else { return }
        }
    }

    mutating func endOfLine() throws(TOMLError) {
        skipInline()
        if let c = current {
            guard c == "\n" else { throw fail("expected end of line, found '\(c)'") }
            advance()
        }
    }

    mutating func document() throws(TOMLError) -> TOMLTable {
        var root = TOMLTable()
        var path: [String] = []
        var defined = Set<String>()
        while true {
            skipAll()
            guard let c = current else { return root }
            if c == "[" {
                let headerLine = line
                advance()
                skipInline()
                if current == "[" { throw fail("arrays of tables ([[...]]) are not supported") }
                var keys = [try key()]
                skipInline()
                while current == "." { advance(); skipInline(); keys.append(try key()); skipInline() }
                guard current == "]" else { throw fail("expected ']' to close the table header") }
                advance()
                let joined = keys.joined(separator: ".")
                guard defined.insert(joined).inserted else { throw fail("table [\(joined)] is defined twice") }
                path = keys
                try createTable(&root, path, line: headerLine)
                try endOfLine()
            } else {
                let keyLine = line
                let k = try key()
                skipInline()
                guard current == "=" else { throw fail("expected '=' after key '\(k)'") }
                advance()
                skipInline()
                let v = try value()
                try insert(&root, path, k, v, line: keyLine)
                try endOfLine()
            }
        }
    }

    func createTable(_ table: inout TOMLTable, _ path: [String], line: Int) throws(TOMLError) {
        guard let head = path.first else { return }
        var child: TOMLTable
        switch table[head] {
        case nil: child = TOMLTable()
        case .table(let t)?: child = t
        case let other?:
            throw TOMLError(line: line, column: 1, message: "'\(head)' is already a \(other.typeName), not a table")
        }
        try createTable(&child, Array(path.dropFirst()), line: line)
        if table[head] == nil { _ = table.insert(head, .table(child), line: line) } else { table.replace(head, .table(child)) }
    }

    func insert(_ table: inout TOMLTable, _ path: [String], _ key: String, _ value: TOMLValue, line: Int) throws(TOMLError) {
        if let head = path.first {
            guard case .table(var child)? = table[head] else {
                throw TOMLError(line: line, column: 1, message: "'\(head)' is not a table")
            }
            try insert(&child, Array(path.dropFirst()), key, value, line: line)
            table.replace(head, .table(child))
            return
        }
        guard table.insert(key, value, line: line) else {
            throw TOMLError(line: line, column: 1, message: "key '\(key)' is defined twice")
        }
    }

    static func isBare(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "-"
    }

    mutating func key() throws(TOMLError) -> String {
        if current == "\"" { return try string() }
        var s = ""
        while let c = current, Self.isBare(c) { s.unicodeScalars.append(c); advance() }
        guard !s.isEmpty else {
            if let c = current { throw fail("expected a key, found '\(c)'") }
            throw fail("expected a key, found end of file")
        }
        return s
    }

    mutating func value() throws(TOMLError) -> TOMLValue {
        guard let c = current else { throw fail("expected a value, found end of file") }
        switch c {
        case "\"": return .string(try string())
        case "[": return try array()
        case "{": return try inlineTable()
        case "t", "f":
            var word = ""
            while let d = current, Self.isBare(d) { word.unicodeScalars.append(d); advance() }
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            throw fail("unknown value '\(word)' (strings need double quotes)")
        default:
            if c == "+" || c == "-" || c == "." || (c >= "0" && c <= "9") { return try number() }
            if c == "'" { throw fail("literal strings ('...') are not supported; use double quotes") }
            var word = ""
            while let d = current, Self.isBare(d) { word.unicodeScalars.append(d); advance() }
            throw fail("unknown value '\(word.isEmpty ? String(c) : word)' (strings need double quotes)")
        }
    }

    mutating func number() throws(TOMLError) -> TOMLValue {
        let col = column
        var s = ""
        while let c = current, Self.isBare(c) || c == "." || c == "+" {
            if c != "_" { s.unicodeScalars.append(c) }
            advance()
        }
        guard let v = Double(s), v.isFinite else {
            throw TOMLError(line: line, column: col, message: "bad number '\(s)'")
        }
        return .number(v)
    }

    mutating func string() throws(TOMLError) -> String {
        advance()  // opening quote
        var s = ""
        while true {
            guard let c = current, c != "\n" else { throw fail("unterminated string") }
            advance()
            if c == "\"" { return s }
            if c == "\\" {
                guard let e = current else { throw fail("unterminated string") }
                advance()
                switch e {
                case "\"": s.append("\"")
                case "\\": s.append("\\")
                case "n": s.append("\n")
                case "t": s.append("\t")
                default: throw fail("unsupported escape '\\\(e)'")
                }
            } else {
                s.unicodeScalars.append(c)
            }
        }
    }

    mutating func enter() throws(TOMLError) {
        depth += 1
        if depth > TOML.maximumDepth { throw fail("arrays/inline tables nested deeper than \(TOML.maximumDepth)") }
    }

    mutating func array() throws(TOMLError) -> TOMLValue {
        try enter(); defer { depth -= 1 }
        advance()
        var items: [TOMLValue] = []
        while true {
            skipAll()
            if current == "]" { advance(); return .array(items) }
            items.append(try value())
            skipAll()
            if current == "," { advance(); continue }
            if current == "]" { advance(); return .array(items) }
            throw fail(current.map { "expected ',' or ']' in array, found '\($0)'" } ?? "unterminated array")
        }
    }

    mutating func inlineTable() throws(TOMLError) -> TOMLValue {
        try enter(); defer { depth -= 1 }
        advance()
        var t = TOMLTable()
        skipInline()
        if current == "}" { advance(); return .table(t) }
        while true {
            skipInline()
            let keyLine = line
            let k = try key()
            skipInline()
            guard current == "=" else { throw fail("expected '=' after key '\(k)'") }
            advance()
            skipInline()
            let v = try value()
            guard t.insert(k, v, line: keyLine) else { throw fail("key '\(k)' is defined twice") }
            skipInline()
            if current == "," { advance(); continue }
            if current == "}" { advance(); return .table(t) }
            throw fail(current.map { "expected ',' or '}' in inline table, found '\($0)'" } ?? "unterminated inline table")
        }
    }
}
