/// A `.subckt` definition (or the top-level circuit): statements in order and local definitions.
final class SubcircuitDefinition {
    let name: String
    let pins: [String]
    /// `params:` defaults, in order.
    let defaults: [(String, Token)]
    let location: SourceLocation
    var body: [Statement] = []
    var subcircuits: [String: SubcircuitDefinition] = [:]
    /// Model names defined directly in this body, and the base names of binned sets (`nch` for `nch.1`).
    var modelNames: Set<String> = []
    var binnedBases: Set<String> = []
    /// Names set by `.param` lines directly in this body.
    var paramNames: Set<String> = []

    init(name: String, pins: [String], defaults: [(String, Token)], location: SourceLocation) {
        self.name = name; self.pins = pins; self.defaults = defaults; self.location = location
    }

    func hasModel(_ name: String) -> Bool { modelNames.contains(name) || binnedBases.contains(name) }
}

/// One element line. Subcircuit bodies are tokenized once when read; top-level lines, elaborated
/// exactly once, are tokenized when elaborated so a large deck never holds all its tokens at once.
final class ElementLine {
    let name: String
    let text: String
    let location: SourceLocation
    /// Tokens after the name, when tokenized ahead.
    let tokens: [Token]?
    init(name: String, text: String, location: SourceLocation, tokens: [Token]?) {
        self.name = name; self.text = text; self.location = location; self.tokens = tokens
    }

    func arguments() throws -> [Token] {
        if let tokens { return tokens }
        return try Tokenizer.tokens(text, at: location, skippingFirst: true)
    }
}

/// A circuit-body statement, elaborated per instance.
enum Statement {
    case element(ElementLine)
    case param([(String, String)], SourceLocation)
    case model(name: String, type: String, tokens: [Token], location: SourceLocation)
}

/// A top-level dot card whose evaluation waits until parameters are known.
struct PendingCard {
    var keyword: String
    var tokens: [Token]
    var line: Line
}

/// Splits logical lines into the circuit tree and the top-level cards.
struct StructureParser {
    var main = SubcircuitDefinition(name: "", pins: [], defaults: [], location: SourceLocation(file: "", line: 0))
    var cards: [PendingCard] = []
    var controlLines: [Card] = []
    var globals: Set<String> = []
    var warnings: [String] = []
    /// Element lines read (a capacity hint for the flat element list).
    var elementCount = 0

    static let elementLetters: Set<UInt8> = Set("rclvieghfdmx".utf8)
    /// Cards that make no sense inside a subcircuit. (`.options` and `.temp` are global wherever they
    /// stand, as in ngspice, so foundry files may put them inside a `.subckt`.)
    static let topOnly: Set<String> = [
        ".ic", ".nodeset", ".op", ".dc", ".ac", ".tran", ".noise",
        ".meas", ".measure", ".save", ".print", ".plot", ".probe", ".four", ".width", ".control", ".endc",
    ]

    mutating func parse(_ lines: [Line]) throws {
        var stack: [SubcircuitDefinition] = [main]
        var k = 0
        while k < lines.count {
            let line = lines[k]
            k += 1
            let u = line.text.utf8
            guard let first = u.first else { continue }
            let lowerFirst = first >= 65 && first <= 90 ? first | 0x20 : first
            if lowerFirst != UInt8(ascii: ".") {
                let name = Tokenizer.leadingWord(line.text)
                guard !name.isEmpty else {
                    throw NetlistError("expected an element name at the start of '\(line.text)'", at: line.location)
                }
                guard Self.elementLetters.contains(lowerFirst) else {
                    throw NetlistError("unsupported element type '\(Character(Unicode.Scalar(lowerFirst)))' in '\(name)'", at: line.location)
                }
                let tokens = stack.count > 1 ? try Tokenizer.tokens(line.text, at: line.location, skippingFirst: true) : nil
                stack[stack.count - 1].body.append(.element(ElementLine(name: name, text: line.text, location: line.location, tokens: tokens)))
                elementCount += 1
                continue
            }
            let keywordEnd = line.text.firstIndex { $0 == " " || $0 == "\t" } ?? line.text.endIndex
            let keyword = line.text[..<keywordEnd].lowercased()
            let current = stack[stack.count - 1]
            if stack.count > 1 && Self.topOnly.contains(keyword) {
                throw NetlistError("'\(keyword)' is not allowed inside '.subckt \(current.name)'", at: line.location)
            }
            switch keyword {
            case ".subckt":
                let tokens = try Tokenizer.tokens(line.text, at: line.location).dropFirst()
                let (positional, named) = try splitAssignments(Array(tokens), at: line.location, allowParams: true)
                var words: [String] = []
                for t in positional {
                    guard let w = t.word else { throw NetlistError(".subckt: unexpected '\(t)'", at: line.location) }
                    words.append(w)
                }
                guard let name = words.first else { throw NetlistError(".subckt: missing name", at: line.location) }
                let def = SubcircuitDefinition(name: name, pins: Array(words.dropFirst()).map(Self.canonicalNode),
                                               defaults: named, location: line.location)
                if let first = current.subcircuits[name] {
                    // ngspice 39 keeps the first definition ("redefinition of .subckt ..., ignored").
                    warnings.append("\(line.location): redefinition of .subckt \(name) ignored (first at \(first.location))")
                } else {
                    current.subcircuits[name] = def
                }
                stack.append(def)
            case ".ends":
                guard stack.count > 1 else { throw NetlistError("'.ends' without '.subckt'", at: line.location) }
                let words = LineReader.words(line.text).dropFirst().map { $0.lowercased() }
                if let name = words.first, name != current.name {
                    throw NetlistError("'.ends \(name)' closes '.subckt \(current.name)'", at: line.location)
                }
                stack.removeLast()
            case ".param":
                let assignments = try Tokenizer.paramAssignments(line.text[keywordEnd...], at: line.location)
                current.body.append(.param(assignments, line.location))
                for (name, _) in assignments { current.paramNames.insert(name) }
            case ".model":
                var tokens = Array(try Tokenizer.tokens(line.text, at: line.location).dropFirst())
                guard tokens.count >= 2, let name = tokens[0].word, let type = tokens[1].word else {
                    throw NetlistError(".model expects a name and a type", at: line.location)
                }
                tokens.removeFirst(2)
                if tokens.first == .lparen {
                    guard tokens.last == .rparen else { throw NetlistError(".model \(name): unbalanced parentheses", at: line.location) }
                    tokens.removeFirst(); tokens.removeLast()
                }
                current.body.append(.model(name: name, type: type, tokens: tokens, location: line.location))
                current.modelNames.insert(name)
                if let dot = name.lastIndex(of: "."), dot != name.startIndex,
                   !name[name.index(after: dot)...].isEmpty, name[name.index(after: dot)...].allSatisfy(\.isNumber) {
                    current.binnedBases.insert(String(name[..<dot]))
                }
            case ".global":
                for w in LineReader.words(line.text).dropFirst() { globals.insert(Self.canonicalNode(w.lowercased())) }
            case ".control":
                var closed = false
                while k < lines.count {
                    let l = lines[k]
                    k += 1
                    if l.text.lowercased().hasPrefix(".endc") { closed = true; break }
                    controlLines.append(Card(text: l.text, location: l.location))
                }
                if !closed { throw NetlistError("'.control' has no matching '.endc'", at: line.location) }
            case ".endc":
                throw NetlistError("'.endc' without '.control'", at: line.location)
            case ".end":
                break
            case ".options", ".option", ".opt", ".temp", ".ic", ".nodeset", ".op", ".dc", ".ac", ".tran",
                 ".noise", ".meas", ".measure", ".save", ".print", ".plot", ".probe", ".four", ".width":
                let tokens = Array(try Tokenizer.tokens(line.text, at: line.location).dropFirst())
                cards.append(PendingCard(keyword: keyword, tokens: tokens, line: line))
            case ".func", ".csparam", ".if", ".elseif", ".else", ".endif", ".subckt_end", ".sens", ".tf",
                 ".disto", ".pz", ".sp", ".pss", ".nodeset_all", ".lib", ".include", ".inc":
                throw NetlistError("unsupported control card '\(keyword)'", at: line.location)
            default:
                throw NetlistError("unknown control card '\(keyword)'", at: line.location)
            }
        }
        if stack.count > 1 {
            let open = stack[stack.count - 1]
            throw NetlistError("'.subckt \(open.name)' has no matching '.ends'", at: open.location)
        }
    }

    static func canonicalNode(_ n: String) -> String { n == "gnd" ? "0" : n }
}

/// Separates `key=value` pairs from positional tokens; `params:` markers are dropped when allowed.
func splitAssignments(_ tokens: [Token], at location: SourceLocation, allowParams: Bool = false)
    throws -> (positional: [Token], named: [(String, Token)]) {
    var positional: [Token] = []
    var named: [(String, Token)] = []
    var i = 0
    while i < tokens.count {
        let t = tokens[i]
        if i + 1 < tokens.count, tokens[i + 1] == .equals {
            guard let key = t.word else { throw NetlistError("misplaced '='", at: location) }
            guard i + 2 < tokens.count, tokens[i + 2].isValue else {
                throw NetlistError("missing value after '\(key)='", at: location)
            }
            named.append((key, tokens[i + 2]))
            i += 3
            continue
        }
        if t == .equals { throw NetlistError("misplaced '='", at: location) }
        if allowParams, t.word == "params:" { i += 1; continue }
        positional.append(t)
        i += 1
    }
    return (positional, named)
}
