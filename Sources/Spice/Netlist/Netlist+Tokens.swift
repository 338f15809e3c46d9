/// A lexical token of a netlist line. Words are lowercased; expressions keep their text without braces.
enum Token: Equatable, CustomStringConvertible {
    case word(String)
    /// `{...}` or `'...'` contents.
    case expr(String)
    case lparen, rparen, equals

    var description: String {
        switch self {
        case .word(let w): w
        case .expr(let e): "{\(e)}"
        case .lparen: "("
        case .rparen: ")"
        case .equals: "="
        }
    }

    var word: String? { if case .word(let w) = self { w } else { nil } }

    /// A token that can stand for a number: a word or an expression.
    var isValue: Bool {
        switch self { case .word, .expr: true; default: false }
    }
}

enum Tokenizer {
    /// Splits a line into tokens. Commas separate like spaces; `(`, `)`, `=` stand alone; after `=` a bare
    /// value may contain balanced parentheses (`ad=int((nf+1)/2)*w`).
    static func tokens(_ text: String, at location: SourceLocation, skippingFirst: Bool = false) throws -> [Token] {
        var text = text
        text.makeContiguousUTF8()
        return try text.utf8.withContiguousStorageIfAvailable {
            try tokens(bytes: $0, at: location, skippingFirst: skippingFirst)
        }!
    }

    /// The line's first word, lowercased (an element name or a dot keyword), up to whitespace or punctuation.
    static func leadingWord(_ text: String) -> String {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { u in
            var end = 0
            while end < u.count, !isSeparator(u[end]), u[end] != UInt8(ascii: "\""), u[end] != UInt8(ascii: "}") { end += 1 }
            return lower(u[0..<end])
        }!
    }

    static func tokens(bytes u: UnsafeBufferPointer<UInt8>, at location: SourceLocation, skippingFirst: Bool) throws -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(6)
        var i = 0
        if skippingFirst {
            while i < u.count, !isSeparator(u[i]) && u[i] != UInt8(ascii: "\"") && u[i] != UInt8(ascii: "}") { i += 1 }
        }
        let n = u.count
        while i < n {
            let c = u[i]
            let bareValue = out.last == .equals && c != 32 && c != 9 && c != UInt8(ascii: "{") && c != UInt8(ascii: "'")
                && c != UInt8(ascii: "\"") && c != UInt8(ascii: ",")
            switch bareValue ? 0 : c {
            case 32, 9, 13, UInt8(ascii: ","):
                i += 1
            case UInt8(ascii: "("): out.append(.lparen); i += 1
            case UInt8(ascii: ")"): out.append(.rparen); i += 1
            case UInt8(ascii: "="):
                out.append(.equals); i += 1
            case UInt8(ascii: "{"):
                var depth = 1
                var j = i + 1
                while j < n, depth > 0 {
                    if u[j] == UInt8(ascii: "{") { depth += 1 } else if u[j] == UInt8(ascii: "}") { depth -= 1 }
                    j += 1
                }
                guard depth == 0 else { throw NetlistError("unterminated '{'", at: location) }
                out.append(.expr(lower(u[(i + 1)..<(j - 1)])))
                i = j
            case UInt8(ascii: "'"):
                var j = i + 1
                while j < n, u[j] != UInt8(ascii: "'") { j += 1 }
                guard j < n else { throw NetlistError("unterminated quote (')", at: location) }
                out.append(.expr(lower(u[(i + 1)..<j])))
                i = j + 1
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < n, u[j] != UInt8(ascii: "\"") { j += 1 }
                guard j < n else { throw NetlistError("unterminated quote (\")", at: location) }
                out.append(.word(lower(u[(i + 1)..<j])))
                i = j + 1
            case UInt8(ascii: "}"):
                throw NetlistError("unbalanced '}'", at: location)
            default:
                var j = i
                if out.last == .equals {
                    // A bare value: runs to whitespace/comma at parenthesis depth 0.
                    var depth = 0
                    while j < n {
                        let d = u[j]
                        if d == UInt8(ascii: "(") { depth += 1 } else if d == UInt8(ascii: ")") {
                            if depth == 0 { break }
                            depth -= 1
                        } else if depth == 0 && (d == 32 || d == 9 || d == UInt8(ascii: ",") || d == UInt8(ascii: "=")
                                                 || d == UInt8(ascii: "{") || d == UInt8(ascii: "'")) {
                            break
                        }
                        j += 1
                    }
                    if depth != 0 { throw NetlistError("unbalanced parentheses in '\(String(decoding: u[i..<j], as: UTF8.self))'", at: location) }
                } else {
                    while j < n, !isSeparator(u[j]) { j += 1 }
                }
                out.append(.word(lower(u[i..<j])))
                i = j
            }
        }
        return out
    }

    @inline(__always) static func isSeparator(_ c: UInt8) -> Bool {
        c == 32 || c == 9 || c == UInt8(ascii: ",") || c == UInt8(ascii: "(") || c == UInt8(ascii: ")")
            || c == UInt8(ascii: "=") || c == UInt8(ascii: "{") || c == UInt8(ascii: "'")
    }

    /// ASCII lowercase of a byte range.
    static func lower(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        var needs = false
        for c in s where c >= 65 && c <= 90 { needs = true; break }
        if !needs { return String(decoding: s, as: UTF8.self) }
        return String(decoding: s.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    static func lower(_ s: ArraySlice<UInt8>) -> String {
        var needs = false
        for c in s where c >= 65 && c <= 90 { needs = true; break }
        if !needs { return String(decoding: s, as: UTF8.self) }
        return String(decoding: s.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Reads `name = value` assignments from a `.param` line's text after the keyword, allowing bare
    /// expressions with spaces (`.param b = a * 3`).
    static func paramAssignments(_ text: Substring, at location: SourceLocation) throws -> [(String, String)] {
        let u = Array(text.utf8)
        let n = u.count
        var i = 0
        var out: [(String, String)] = []
        func isName(_ c: UInt8) -> Bool {
            SpiceNumber.isLetter(c) || SpiceNumber.isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
        func skip() { while i < n, u[i] == 32 || u[i] == 9 || u[i] == UInt8(ascii: ",") { i += 1 } }
        /// Whether an assignment `name =` (not `==`) starts at j.
        func assignmentStarts(at start: Int) -> Bool {
            var j = start
            guard j < n, SpiceNumber.isLetter(u[j]) || u[j] == UInt8(ascii: "_") else { return false }
            while j < n, isName(u[j]) { j += 1 }
            while j < n, u[j] == 32 || u[j] == 9 { j += 1 }
            return j < n && u[j] == UInt8(ascii: "=") && !(j + 1 < n && u[j + 1] == UInt8(ascii: "="))
        }
        skip()
        while i < n {
            guard assignmentStarts(at: i) else {
                throw NetlistError(".param expects name=value, found '\(String(decoding: u[i...], as: UTF8.self))'", at: location)
            }
            let nameStart = i
            while i < n, isName(u[i]) { i += 1 }
            let name = lower(u[nameStart..<i])
            while i < n, u[i] != UInt8(ascii: "=") { i += 1 }
            i += 1
            while i < n, u[i] == 32 || u[i] == 9 { i += 1 }
            guard i < n else { throw NetlistError(".param \(name): missing value", at: location) }
            var value: String
            if u[i] == UInt8(ascii: "{") || u[i] == UInt8(ascii: "'") {
                let close: UInt8 = u[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "'")
                var depth = 1
                var j = i + 1
                while j < n {
                    if close == UInt8(ascii: "}") && u[j] == UInt8(ascii: "{") { depth += 1 }
                    else if u[j] == close { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                guard j < n else {
                    throw NetlistError(close == UInt8(ascii: "}") ? "unterminated '{'" : "unterminated quote (')", at: location)
                }
                value = lower(u[(i + 1)..<j])
                i = j + 1
            } else {
                var j = i
                var depth = 0
                while j < n {
                    let c = u[j]
                    if c == UInt8(ascii: "(") { depth += 1 }
                    else if c == UInt8(ascii: ")") { depth -= 1 }
                    else if depth <= 0, c == 32 || c == 9 || c == UInt8(ascii: ",") {
                        var k = j
                        while k < n, u[k] == 32 || u[k] == 9 || u[k] == UInt8(ascii: ",") { k += 1 }
                        if k == n || assignmentStarts(at: k) { break }
                    }
                    j += 1
                }
                value = lower(u[i..<j])
                i = j
            }
            out.append((name, value))
            skip()
        }
        return out
    }
}
