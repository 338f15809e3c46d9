/// Constrains output to JSON documents valid under a schema (see `JSONSchema` for the subset).
///
/// An incremental parser over bytes whose every live state can still be completed to a valid document:
/// keys must be (prefixes of) unused declared properties, required properties must appear before `}`,
/// `enum`/`const` values are matched as their compact JSON text, strings are checked as UTF-8, and runs
/// of whitespace are capped so the model cannot pad forever.
public struct JSONSchemaConstraint: DecodingConstraint, Sendable {
    let schema: JSONSchema
    private(set) var state: JSONAutomaton
    private var offset = 0

    /// Compiles a schema given as JSON text.
    public init(schema: String) throws {
        self.schema = try JSONSchema(schema)
        state = JSONAutomaton(root: self.schema.root)
    }

    /// Any single JSON value.
    public static func anyJSON() -> JSONSchemaConstraint {
        try! JSONSchemaConstraint(schema: "{}")
    }

    public mutating func allows(_ tokenBytes: [UInt8]) -> Bool {
        var copy = state
        for b in tokenBytes where !copy.feed(b, schema) { return false }
        return true
    }

    public mutating func accept(_ tokenBytes: [UInt8]) throws {
        var copy = state
        for b in tokenBytes {
            guard copy.feed(b, schema) else { throw ConstraintError.rejected(offset: offset, byte: b) }
            offset += 1
        }
        state = copy
    }

    public var isComplete: Bool { state.isComplete(schema) }

    /// Whether a finished document satisfies the schema (checks text produced with or without the constraint).
    public func validates(_ document: String) -> Bool {
        guard let v = try? JSONValue.parse(document) else { return false }
        return schema.validate(v)
    }
}

/// The parser state: a stack of frames, one per open JSON construct.
struct JSONAutomaton: Sendable, Hashable {
    enum ObjectPhase: Sendable, Hashable { case firstKeyOrEnd, key, inKey, colon(Int), value(Int), commaOrEnd }
    enum ArrayPhase: Sendable, Hashable { case firstValueOrEnd, value, commaOrEnd }
    enum NumberPhase: Sendable, Hashable { case minus, zero, integer, dot, fraction, exponent, exponentSign, exponentDigits }

    /// Position inside a string: escapes and multi-byte UTF-8 sequences in progress.
    struct StringScan: Sendable, Hashable {
        var afterBackslash = false
        var hexRemaining: UInt8 = 0
        var hexValue: UInt16 = 0
        var utf8Remaining: UInt8 = 0
        var nextLow: UInt8 = 0x80
        var nextHigh: UInt8 = 0xBF
    }

    enum Frame: Sendable, Hashable {
        case value(Int)
        case object(node: Int, seen: UInt64, phase: ObjectPhase)
        case key(buffer: [UInt8], scan: StringScan)
        case array(node: Int, count: Int, phase: ArrayPhase)
        case string(minLength: Int, maxLength: Int, length: Int, scan: StringScan)
        case number(integerOnly: Bool, phase: NumberPhase, length: Int)
        case literal(node: Int, prefix: [UInt8])
    }

    var stack: [Frame]
    var done = false
    var whitespaceRun = 0

    static let maxWhitespaceRun = 40
    static let maxNumberLength = 32
    static let maxFreeKeyLength = 64

    init(root: Int) { stack = [.value(root)] }

    func isComplete(_ schema: JSONSchema) -> Bool {
        if done { return true }
        guard stack.count == 1, let top = stack.last else { return false }
        switch top {
        case .number(_, let phase, _): return JSONAutomaton.accepting(phase)
        case .literal(let node, let prefix):
            if case .literals(let texts) = schema.nodes[node] { return texts.contains(prefix) }
            return false
        default: return false
        }
    }

    static func accepting(_ p: NumberPhase) -> Bool {
        p == .zero || p == .integer || p == .fraction || p == .exponentDigits
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// Consumes one byte; false if the document can no longer be valid (the state is then unusable).
    mutating func feed(_ b: UInt8, _ schema: JSONSchema) -> Bool {
        if JSONAutomaton.isSpace(b) {
            whitespaceRun += 1
        } else {
            whitespaceRun = 0
        }
        while true {
            guard let top = stack.last else {
                // After the document: whitespace only.
                return done && JSONAutomaton.isSpace(b) && whitespaceRun <= JSONAutomaton.maxWhitespaceRun
            }
            let space = JSONAutomaton.isSpace(b)
            switch top {
            case .value(let node):
                if space { return whitespaceRun <= JSONAutomaton.maxWhitespaceRun }
                stack.removeLast()
                return startValue(node, b, schema)

            case .object(let node, let seen, let phase):
                guard case .object(let keys, _, let required, let additional) = schema.nodes[node] else { return false }
                if space, phase != .inKey { return whitespaceRun <= JSONAutomaton.maxWhitespaceRun }
                let allSeen = keys.indices.allSatisfy { seen & (1 << UInt64($0)) != 0 }
                let requiredSeen = required.indices.allSatisfy { !required[$0] || seen & (1 << UInt64($0)) != 0 }
                switch phase {
                case .firstKeyOrEnd, .commaOrEnd:
                    if b == UInt8(ascii: "}") {
                        guard requiredSeen else { return false }
                        stack.removeLast()
                        valueDone()
                        return true
                    }
                    if phase == .firstKeyOrEnd, b == UInt8(ascii: "\"") {
                        guard !allSeen || additional != nil else { return false }
                        setTop(.object(node: node, seen: seen, phase: .inKey))
                        stack.append(.key(buffer: [], scan: StringScan()))
                        return true
                    }
                    if phase == .commaOrEnd, b == UInt8(ascii: ",") {
                        guard !allSeen || additional != nil else { return false }
                        setTop(.object(node: node, seen: seen, phase: .key))
                        return true
                    }
                    return false
                case .key:
                    guard b == UInt8(ascii: "\"") else { return false }
                    setTop(.object(node: node, seen: seen, phase: .inKey))
                    stack.append(.key(buffer: [], scan: StringScan()))
                    return true
                case .inKey:
                    return false   // the key frame sits above
                case .colon(let prop):
                    guard b == UInt8(ascii: ":") else { return false }
                    setTop(.object(node: node, seen: seen, phase: .value(prop)))
                    if case .object(_, let children, _, let additional) = schema.nodes[node] {
                        stack.append(.value(prop >= 0 ? children[prop] : additional!))
                    }
                    return true
                case .value:
                    return false   // the value frame sits above
                }

            case .key(var buffer, var scan):
                guard stack.count >= 2, case .object(let node, let seen, _) = stack[stack.count - 2],
                      case .object(let keys, _, _, let additional) = schema.nodes[node] else { return false }
                if scan.utf8Remaining == 0, b == UInt8(ascii: "\"") {
                    let unseen = keys.firstIndex(of: buffer).map { seen & (1 << UInt64($0)) == 0 }
                    let prop: Int
                    if let i = keys.firstIndex(of: buffer) {
                        guard unseen == true else { return false }
                        prop = i
                    } else {
                        guard additional != nil else { return false }
                        prop = -1
                    }
                    stack.removeLast()
                    setTop(.object(node: node, seen: seen, phase: .colon(prop)))
                    return true
                }
                guard b != UInt8(ascii: "\\"), JSONAutomaton.scanStringByte(b, &scan) else { return false }
                buffer.append(b)
                if additional == nil {
                    // Declared keys only: the buffer must stay a prefix of an unused one.
                    let ok = keys.indices.contains { seen & (1 << UInt64($0)) == 0 && keys[$0].starts(with: buffer) }
                    guard ok else { return false }
                } else if buffer.count > JSONAutomaton.maxFreeKeyLength {
                    return false
                }
                setTop(.key(buffer: buffer, scan: scan))
                return true

            case .array(let node, let count, let phase):
                guard case .array(let items, let minItems, let maxItems) = schema.nodes[node] else { return false }
                if space { return whitespaceRun <= JSONAutomaton.maxWhitespaceRun }
                switch phase {
                case .firstValueOrEnd, .commaOrEnd:
                    if b == UInt8(ascii: "]") {
                        guard count >= minItems else { return false }
                        stack.removeLast()
                        valueDone()
                        return true
                    }
                    if phase == .commaOrEnd {
                        guard b == UInt8(ascii: ","), count < maxItems else { return false }
                        setTop(.array(node: node, count: count, phase: .value))
                        return true
                    }
                    guard count < maxItems else { return false }
                    stack.append(.value(items))
                    continue   // the new value frame takes this byte
                case .value:
                    stack.append(.value(items))
                    continue
                }

            case .string(let minLength, let maxLength, let length, var scan):
                if scan.utf8Remaining == 0, !scan.afterBackslash, scan.hexRemaining == 0 {
                    if b == UInt8(ascii: "\"") {
                        guard length >= minLength else { return false }
                        stack.removeLast()
                        valueDone()
                        return true
                    }
                }
                let startsCharacter = scan.utf8Remaining == 0 && !scan.afterBackslash && scan.hexRemaining == 0
                guard JSONAutomaton.scanStringByte(b, &scan) else { return false }
                // Count characters as they start (an escape counts once).
                let newLength = startsCharacter ? length + 1 : length
                guard newLength <= maxLength else { return false }
                setTop(.string(minLength: minLength, maxLength: maxLength, length: newLength, scan: scan))
                return true

            case .number(let integerOnly, let phase, let length):
                var next: NumberPhase?
                let digit = JSONAutomaton.isDigit(b)
                switch phase {
                case .minus: next = b == UInt8(ascii: "0") ? .zero : (digit ? .integer : nil)
                case .zero, .integer:
                    if phase == .integer, digit { next = .integer }
                    else if !integerOnly, b == UInt8(ascii: ".") { next = .dot }
                    else if !integerOnly, b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { next = .exponent }
                case .dot: next = digit ? .fraction : nil
                case .fraction:
                    if digit { next = .fraction } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { next = .exponent }
                case .exponent:
                    next = digit ? .exponentDigits : (b == UInt8(ascii: "+") || b == UInt8(ascii: "-") ? .exponentSign : nil)
                case .exponentSign: next = digit ? .exponentDigits : nil
                case .exponentDigits: next = digit ? .exponentDigits : nil
                }
                if let next {
                    guard length < JSONAutomaton.maxNumberLength else { return false }
                    setTop(.number(integerOnly: integerOnly, phase: next, length: length + 1))
                    return true
                }
                // The number ends here; the byte belongs to the enclosing construct.
                guard JSONAutomaton.accepting(phase), stack.count > 1 else { return false }
                stack.removeLast()
                valueDone()
                continue

            case .literal(let node, let prefix):
                guard case .literals(let texts) = schema.nodes[node] else { return false }
                let extended = prefix + [b]
                if texts.contains(where: { $0.starts(with: extended) }) {
                    setTop(.literal(node: node, prefix: extended))
                    return true
                }
                guard texts.contains(prefix), stack.count > 1 else { return false }
                stack.removeLast()
                valueDone()
                continue
            }
        }
    }

    /// Opens the value that byte `b` starts, for schema node `node`.
    private mutating func startValue(_ node: Int, _ b: UInt8, _ schema: JSONSchema) -> Bool {
        let n = schema.nodes[node]
        let digitOrMinus = JSONAutomaton.isDigit(b) || b == UInt8(ascii: "-")
        func number(_ integerOnly: Bool) -> Bool {
            guard digitOrMinus else { return false }
            stack.append(.number(integerOnly: integerOnly, phase: b == UInt8(ascii: "-") ? .minus : (b == UInt8(ascii: "0") ? .zero : .integer), length: 1))
            return true
        }
        switch n {
        case .any:
            switch b {
            case UInt8(ascii: "{"): stack.append(.object(node: schema.anyObject, seen: 0, phase: .firstKeyOrEnd)); return true
            case UInt8(ascii: "["): stack.append(.array(node: schema.anyArray, count: 0, phase: .firstValueOrEnd)); return true
            case UInt8(ascii: "\""): stack.append(.string(minLength: 0, maxLength: Int.max, length: 0, scan: StringScan())); return true
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                stack.append(.literal(node: schema.anyLiterals, prefix: [b])); return true
            default: return number(false)
            }
        case .object:
            guard b == UInt8(ascii: "{") else { return false }
            stack.append(.object(node: node, seen: 0, phase: .firstKeyOrEnd))
            return true
        case .array:
            guard b == UInt8(ascii: "[") else { return false }
            stack.append(.array(node: node, count: 0, phase: .firstValueOrEnd))
            return true
        case .string(let lo, let hi):
            guard b == UInt8(ascii: "\"") else { return false }
            stack.append(.string(minLength: lo, maxLength: hi, length: 0, scan: StringScan()))
            return true
        case .number: return number(false)
        case .integer: return number(true)
        case .boolean, .null:
            return false   // compiled to literals
        case .literals(let texts):
            guard texts.contains(where: { $0.first == b }) else { return false }
            stack.append(.literal(node: node, prefix: [b]))
            return true
        }
    }

    /// Records that the value on top of the stack was completed (and already popped).
    private mutating func valueDone() {
        guard let top = stack.last else { done = true; return }
        switch top {
        case .object(let node, let seen, .value(let prop)):
            let s = prop >= 0 ? seen | (1 << UInt64(prop)) : seen
            setTop(.object(node: node, seen: s, phase: .commaOrEnd))
        case .array(let node, let count, _):
            setTop(.array(node: node, count: count + 1, phase: .commaOrEnd))
        default:
            break
        }
    }

    @inline(__always) private mutating func setTop(_ f: Frame) { stack[stack.count - 1] = f }

    /// Checks one byte of string content (after the opening quote, not the closing one): escapes,
    /// `\uXXXX` (no surrogates), no control characters, and well-formed UTF-8.
    static func scanStringByte(_ b: UInt8, _ s: inout StringScan) -> Bool {
        if s.utf8Remaining > 0 {
            guard b >= s.nextLow, b <= s.nextHigh else { return false }
            s.utf8Remaining -= 1
            s.nextLow = 0x80; s.nextHigh = 0xBF
            return true
        }
        if s.afterBackslash {
            s.afterBackslash = false
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return true
            case UInt8(ascii: "u"):
                s.hexRemaining = 4; s.hexValue = 0
                return true
            default:
                return false
            }
        }
        if s.hexRemaining > 0 {
            let h: UInt16
            switch b {
            case 0x30...0x39: h = UInt16(b - 0x30)
            case 0x41...0x46: h = UInt16(b - 0x41 + 10)
            case 0x61...0x66: h = UInt16(b - 0x61 + 10)
            default: return false
            }
            s.hexValue = s.hexValue << 4 | h
            s.hexRemaining -= 1
            // No surrogate halves: they would need a matching pair.
            if s.hexRemaining == 2, s.hexValue >= 0xD8, s.hexValue <= 0xDF { return false }
            return true
        }
        switch b {
        case 0x00..<0x20: return false
        case UInt8(ascii: "\\"): s.afterBackslash = true; return true
        case 0x20..<0x80: return true
        case 0xC2...0xDF: s.utf8Remaining = 1
        case 0xE0: s.utf8Remaining = 2; s.nextLow = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: s.utf8Remaining = 2
        case 0xED: s.utf8Remaining = 2; s.nextHigh = 0x9F
        case 0xF0: s.utf8Remaining = 3; s.nextLow = 0x90
        case 0xF1...0xF3: s.utf8Remaining = 3
        case 0xF4: s.utf8Remaining = 3; s.nextHigh = 0x8F
        default: return false
        }
        return true
    }
}
