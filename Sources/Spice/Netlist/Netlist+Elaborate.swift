/// Parameter values visible at one level of the hierarchy, evaluated lazily and cached.
final class ParamScope {
    /// How many parameter evaluations are in progress, shared by a scope and its children.
    final class Nesting { var depth = 0 }
    /// Deepest chain of parameters defined through each other (`a1=a2`, `a2=a3`, ...) accepted.
    static let maximumNesting = 500

    let parent: ParamScope?
    let nesting: Nesting
    var pending: [String: Expression] = [:]
    var values: [String: Double] = [:]
    private var active: Set<String> = []

    init(parent: ParamScope?) {
        self.parent = parent
        self.nesting = parent?.nesting ?? Nesting()
    }

    /// The value of `name` here or in an enclosing scope; nil when undefined. A name that refers to
    /// itself (`w='w*2'` on an instance line) reads the enclosing scope's value.
    func lookup(_ name: String) throws -> Double? {
        if let v = values[name] { return v }
        if let e = pending[name], !active.contains(name) {
            guard nesting.depth < Self.maximumNesting else {
                throw NetlistError("parameters defined through more than \(Self.maximumNesting) levels ('\(name)')")
            }
            nesting.depth += 1
            active.insert(name)
            defer { active.remove(name); nesting.depth -= 1 }
            let v = try e.evaluate { try self.lookup($0) }
            guard v.isFinite else { throw NetlistError("parameter '\(name)' = '\(e.text)' is not a finite number") }
            values[name] = v
            return v
        }
        return try parent?.lookup(name)
    }

    func value(_ name: String) throws -> Double {
        guard let v = try lookup(name) else { throw NetlistError("undefined parameter '\(name)'") }
        return v
    }
}

/// Flattens the circuit tree into a `Deck`, evaluating every value.
final class Elaborator {
    struct Frame {
        let def: SubcircuitDefinition
        /// Instance path joined with dots (`x1.x2`), empty at top level.
        let prefix: String
        let nodeMap: [String: String]
        let scope: ParamScope
        /// Product of `m=` on the enclosing X lines.
        let multiplier: Double
    }

    /// Flattened elements accepted before the deck counts as runaway (exponential subcircuit fan-out).
    static let maximumElements = 5_000_000
    /// MOSFET instance parameters beyond W/L/M/AD/AS/PD/PS/NRD/NRS that BSIM3/BSIM4 instances take in
    /// ngspice; kept in `MOSInstance.extra` for the device to honour or reject.
    static let extraMOSParameters: Set<String> = ["nf", "sa", "sb", "sd", "sca", "scb", "scc", "sc", "min", "mult",
                                                  "delvto", "mulu0", "xgw", "ngcon", "rgatemod", "rbodymod",
                                                  "trnqsmod", "acnqsmod", "geomod", "rgeomod", "delk1", "delnfct",
                                                  "wnflag", "temp", "dtemp"]
    /// Deepest chain of subcircuit instances accepted (each level costs stack).
    static let maximumNesting = 200

    var deck: Deck
    let structure: StructureParser
    var expressionCache: [String: Expression] = [:]
    var chain: [Frame] = []
    var activeDefinitions: Set<ObjectIdentifier> = []
    let global = ParamScope(parent: nil)

    init(title: String, structure: StructureParser) {
        self.deck = Deck(title: title)
        self.structure = structure
    }

    func run() throws -> Deck {
        let main = structure.main
        try defineParams(of: main, in: global)
        try applyOptions()
        deck.elements.reserveCapacity(structure.elementCount)
        let top = Frame(def: main, prefix: "", nodeMap: [:], scope: global, multiplier: 1)
        try expand(top)
        try checkDuplicates()
        try applyCards()
        deck.controlLines = structure.controlLines
        deck.warnings = structure.warnings + deck.warnings
        return deck
    }

    // MARK: - Parameters and values

    /// Defines the `.param` lines of `def` in `scope`, except names an instance line set (`fixed`).
    func defineParams(of def: SubcircuitDefinition, in scope: ParamScope, fixed: Set<String> = []) throws {
        var order: [(String, SourceLocation)] = []
        for case .param(let assignments, let location) in def.body {
            for (name, text) in assignments where !fixed.contains(name) {
                do { scope.pending[name] = try expression(text) } catch let e as NetlistError { throw e.located(location) }
                scope.values[name] = nil
                order.append((name, location))
            }
        }
        // Evaluate in order so long chains of definitions do not recurse deeply.
        for (name, location) in order {
            do { _ = try scope.value(name) } catch let e as NetlistError { throw e.located(location) }
        }
    }

    func expression(_ text: String) throws -> Expression {
        if let e = expressionCache[text] { return e }
        let e: Expression
        if let v = SpiceNumber.parse(text) { e = Expression(text: text, root: .number(v)) } else { e = try Expression.parse(text) }
        expressionCache[text] = e
        return e
    }

    func expression(_ token: Token) throws -> Expression {
        switch token {
        case .word(let w):
            if let v = SpiceNumber.parse(w) { return Expression(text: w, root: .number(v)) }
            try checkNotBadNumber(w)
            return try expression(w)
        case .expr(let e): return try expression(e)
        default: throw NetlistError("expected a value, found '\(token)'")
        }
    }

    func checkNotBadNumber(_ w: String) throws {
        if let c = w.utf8.first, SpiceNumber.isDigit(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            // A word that starts like a number but is not one, unless it is an arithmetic expression.
            if (try? Expression.parse(w)) == nil { throw NetlistError("bad number '\(w)'") }
        }
    }

    func value(_ token: Token, _ scope: ParamScope) throws -> Double {
        if case .word(let w) = token, let v = SpiceNumber.parse(w) { return v }
        let e = try expression(token)
        let v = try e.evaluate { try scope.lookup($0) }
        guard v.isFinite else { throw NetlistError("value '\(e.text)' is not a finite number") }
        return v
    }

    /// A scope holding one line's `name=value` pairs, so values may refer to each other.
    func lineScope(_ named: [(String, Token)], parent: ParamScope) throws -> ParamScope {
        let s = ParamScope(parent: parent)
        for (k, t) in named { s.pending[k] = try expression(t) }
        return s
    }

    /// ngspice refuses a deck that names two elements alike ("device already exists").
    func checkDuplicates() throws {
        var seen = Set<String>(minimumCapacity: deck.elements.count)
        for k in deck.elements.indices where !seen.insert(deck.elements[k].name).inserted {
            let name = deck.elements[k].name
            let first = deck.elements.first { $0.name == name }!
            throw NetlistError("duplicate element name '\(name)' (first at \(first.location))", at: deck.elements[k].location)
        }
        // F and H need their controlling voltage source, flattened in the same instance.
        for e in deck.elements {
            switch e.kind {
            case .cccs(_, let control), .ccvs(_, let control):
                guard seen.contains(control) else {
                    throw NetlistError("\(e.name): controlling voltage source '\(control)' not found", at: e.location)
                }
            default: break
            }
        }
    }

    // MARK: - Names

    func node(_ n: String, _ f: Frame) -> String {
        if n == "0" || n == "gnd" { return "0" }
        if let m = f.nodeMap[n] { return m }
        if f.prefix.isEmpty || structure.globals.contains(n) { return n }
        return f.prefix + "." + n
    }

    func flatName(_ name: String, _ f: Frame) -> String {
        f.prefix.isEmpty ? name : "\(name.first!).\(f.prefix).\(name)"
    }

    /// The flattened model name a D/M line inside the current frame refers to, innermost definition first.
    func resolveModel(_ name: String) -> String? {
        for f in chain.reversed() where f.def.hasModel(name) {
            return f.prefix.isEmpty ? name : f.prefix + ":" + name
        }
        return nil
    }

    // MARK: - Expansion

    func expand(_ f: Frame) throws {
        chain.append(f)
        defer { chain.removeLast() }
        for statement in f.def.body {
            switch statement {
            case .param:
                break
            case .model(let name, let type, let tokens, let location):
                do {
                    let (positional, named) = try splitAssignments(tokens, at: location)
                    if let extra = positional.first {
                        throw NetlistError(".model \(name): expected name=value, found '\(extra)'")
                    }
                    var parameters: [String: Double] = [:]
                    for (k, t) in named { parameters[k] = try value(t, f.scope) }
                    if let level = parameters["level"], level != level.rounded() || level < 1 || level > 1000 {
                        throw NetlistError(".model \(name): level must be a whole number from 1 to 1000, found \(level)")
                    }
                    let flat = f.prefix.isEmpty ? name : f.prefix + ":" + name
                    if let first = deck.models[flat] {
                        // ngspice 39 keeps the first card of a name.
                        deck.warnings.append("\(location): redefinition of .model \(name) ignored (first at \(first.location))")
                    } else {
                        deck.models[flat] = ModelCard(name: flat, type: type, parameters: parameters, location: location)
                    }
                } catch let e as NetlistError { throw e.located(location) }
            case .element(let line):
                do { try element(line.name, try line.arguments(), line.location, f) } catch let e as NetlistError {
                    throw e.located(line.location)
                }
            }
        }
    }

    func element(_ name: String, _ tokens: [Token], _ location: SourceLocation, _ f: Frame) throws {
        let letter = name.utf8.first!
        if letter == UInt8(ascii: "x") { return try instance(name, tokens, location, f) }
        guard deck.elements.count < Self.maximumElements else {
            throw NetlistError("circuit has more than \(Self.maximumElements) elements after flattening")
        }
        // Fast path for the plain `r1 a b 1k` form that makes up most large decks.
        if tokens.count == 3, f.multiplier == 1,
           letter == UInt8(ascii: "r") || letter == UInt8(ascii: "c") || letter == UInt8(ascii: "l"),
           case .word(let a) = tokens[0], case .word(let b) = tokens[1], tokens[2].isValue {
            let x = try value(tokens[2], f.scope)
            let kind: Element.Kind = letter == UInt8(ascii: "r") ? .resistor(resistance: x)
                : letter == UInt8(ascii: "c") ? .capacitor(capacitance: x, initialVoltage: nil)
                : .inductor(inductance: x, initialCurrent: nil)
            deck.elements.append(Element(name: flatName(name, f), nodes: [node(a, f), node(b, f)], kind: kind, location: location))
            return
        }
        if letter == UInt8(ascii: "e") || letter == UInt8(ascii: "g") || letter == UInt8(ascii: "f") || letter == UInt8(ascii: "h") {
            for t in tokens {
                if let w = t.word, ["poly", "value", "vol", "cur", "table", "laplace"].contains(w) {
                    throw NetlistError("\(name): unsupported controlled-source form '\(w)'")
                }
            }
        }
        let (positional, named) = try splitAssignments(tokens, at: location)
        let nodeCount: Int
        switch letter {
        case UInt8(ascii: "e"), UInt8(ascii: "g"), UInt8(ascii: "m"): nodeCount = 4
        default: nodeCount = 2
        }
        var nodes: [String] = []
        for k in 0..<min(nodeCount, positional.count) {
            guard let w = positional[k].word else {
                throw NetlistError("\(name): expected a node name, found '\(positional[k])'")
            }
            nodes.append(node(w, f))
        }
        guard nodes.count == nodeCount else {
            throw NetlistError("\(name): expected \(nodeCount) nodes, found \(nodes.count)")
        }
        let rest = Array(positional.dropFirst(nodeCount))
        let flat = flatName(name, f)
        let kind: Element.Kind
        switch letter {
        case UInt8(ascii: "r"):
            var r = try twoTerminalValue(name, rest, named, keys: ["r", "resistance"], f)
            var m = 1.0
            for (k, t) in named {
                switch k {
                case "r", "resistance": break
                case "m": m = try value(t, f.scope)
                default: throw NetlistError("\(name): unsupported resistor parameter '\(k)'")
                }
            }
            m *= f.multiplier
            guard m > 0 else { throw NetlistError("\(name): multiplier m must be positive") }
            r /= m
            kind = .resistor(resistance: r)
        case UInt8(ascii: "c"), UInt8(ascii: "l"):
            let isC = letter == UInt8(ascii: "c")
            var v = try twoTerminalValue(name, rest, named, keys: isC ? ["c", "capacitance"] : ["l", "inductance"], f)
            var ic: Double? = nil
            var m = 1.0
            for (k, t) in named {
                switch k {
                case "c", "capacitance", "l", "inductance": break
                case "ic": ic = try value(t, f.scope)
                case "m": m = try value(t, f.scope)
                default: throw NetlistError("\(name): unsupported \(isC ? "capacitor" : "inductor") parameter '\(k)'")
                }
            }
            m *= f.multiplier
            guard m > 0 else { throw NetlistError("\(name): multiplier m must be positive") }
            if isC { v *= m; kind = .capacitor(capacitance: v, initialVoltage: ic) } else { v /= m; kind = .inductor(inductance: v, initialCurrent: ic) }
        case UInt8(ascii: "v"), UInt8(ascii: "i"):
            if f.multiplier != 1 && letter == UInt8(ascii: "i") {
                throw NetlistError("\(name): current source inside a subcircuit instance with m=\(f.multiplier) is not supported")
            }
            let source = try self.source(name, Array(tokens.dropFirst(nodeCount)), f)
            kind = letter == UInt8(ascii: "v") ? .voltageSource(source) : .currentSource(source)
        case UInt8(ascii: "e"), UInt8(ascii: "g"):
            if let k = named.first?.0 { throw NetlistError("\(name): unsupported controlled-source form '\(k)='") }
            guard rest.count == 1 else {
                if let w = rest.first?.word, ["poly", "value", "vol", "cur", "table", "laplace"].contains(w) {
                    throw NetlistError("\(name): unsupported controlled-source form '\(w)'")
                }
                throw NetlistError("\(name): expected 4 nodes and a gain")
            }
            let g = try value(rest[0], f.scope)
            if f.multiplier != 1 && letter == UInt8(ascii: "g") {
                throw NetlistError("\(name): G source inside a subcircuit instance with m=\(f.multiplier) is not supported")
            }
            kind = letter == UInt8(ascii: "e") ? .vcvs(gain: g) : .vccs(transconductance: g)
        case UInt8(ascii: "f"), UInt8(ascii: "h"):
            if let k = named.first?.0 { throw NetlistError("\(name): unsupported controlled-source form '\(k)='") }
            guard rest.count == 2, let control = rest[0].word else {
                if let w = rest.first?.word, w == "poly" { throw NetlistError("\(name): unsupported controlled-source form 'poly'") }
                throw NetlistError("\(name): expected 2 nodes, a controlling voltage source and a gain")
            }
            guard control.hasPrefix("v") else {
                throw NetlistError("\(name): controlling element '\(control)' is not a voltage source")
            }
            let g = try value(rest[1], f.scope)
            if f.multiplier != 1 && letter == UInt8(ascii: "f") {
                throw NetlistError("\(name): F source inside a subcircuit instance with m=\(f.multiplier) is not supported")
            }
            let c = flatName(control, f)
            kind = letter == UInt8(ascii: "f") ? .cccs(gain: g, control: c) : .ccvs(transresistance: g, control: c)
        case UInt8(ascii: "d"):
            guard let model = rest.first?.word else { throw NetlistError("\(name): missing model name") }
            guard let resolved = resolveModel(model) else { throw NetlistError("\(name): undefined model '\(model)'") }
            var area = 1.0, off = false, m = 1.0
            var sawArea = false
            for t in rest.dropFirst() {
                if t.word == "off" { off = true; continue }
                guard !sawArea else { throw NetlistError("\(name): unexpected '\(t)'") }
                area = try value(t, f.scope); sawArea = true
            }
            let local = try lineScope(named, parent: f.scope)
            for (k, _) in named {
                switch k {
                case "area": area = try local.value(k)
                case "m": m = try local.value(k)
                default: throw NetlistError("\(name): unsupported diode parameter '\(k)'")
                }
            }
            kind = .diode(model: resolved, area: area * m * f.multiplier, off: off)
        case UInt8(ascii: "m"):
            guard let model = rest.first?.word else { throw NetlistError("\(name): expected 4 nodes and a model") }
            guard let resolved = resolveModel(model) else { throw NetlistError("\(name): undefined model '\(model)'") }
            var inst = MOSInstance()
            for t in rest.dropFirst() {
                guard t.word == "off" else { throw NetlistError("\(name): unexpected '\(t)'") }
                inst.off = true
            }
            let local = try lineScope(named, parent: f.scope)
            let s = deck.options.scale
            for (k, _) in named {
                let v = try local.value(k)
                switch k {
                // ngspice scales instance lengths by `.options scale` and areas by its square.
                case "w": inst.w = v * s
                case "l": inst.l = v * s
                case "m": inst.m = v
                case "ad": inst.ad = v * s * s
                case "as": inst.as = v * s * s
                case "pd": inst.pd = v * s
                case "ps": inst.ps = v * s
                case "nrd": inst.nrd = v
                case "nrs": inst.nrs = v
                case _ where Self.extraMOSParameters.contains(k): inst.extra[k] = v
                default: throw NetlistError("\(name): unsupported MOSFET instance parameter '\(k)'")
                }
            }
            inst.m *= f.multiplier
            kind = .mosfet(model: resolved, instance: inst)
        default:
            throw NetlistError("unsupported element type '\(Character(Unicode.Scalar(letter)))' in '\(name)'")
        }
        deck.elements.append(Element(name: flat, nodes: nodes, kind: kind, location: location))
    }

    /// The value of an R/C/L: the one positional value or a `key=` form.
    func twoTerminalValue(_ name: String, _ rest: [Token], _ named: [(String, Token)], keys: [String], _ f: Frame) throws -> Double {
        if rest.count > 1 { throw NetlistError("\(name): unexpected '\(rest[1])'") }
        if let t = rest.first { return try value(t, f.scope) }
        if let (_, t) = named.first(where: { keys.contains($0.0) }) { return try value(t, f.scope) }
        throw NetlistError("\(name): missing value")
    }

    // MARK: - Subcircuit instances

    func instance(_ name: String, _ tokens: [Token], _ location: SourceLocation, _ f: Frame) throws {
        let (positional, named) = try splitAssignments(tokens, at: location, allowParams: true)
        var words: [String] = []
        for t in positional {
            guard let w = t.word else { throw NetlistError("\(name): unexpected '\(t)'") }
            words.append(w)
        }
        guard let subName = words.last else { throw NetlistError("\(name): missing subcircuit name") }
        let nodes = words.dropLast()
        var found: SubcircuitDefinition? = nil
        for frame in chain.reversed() {
            if let d = frame.def.subcircuits[subName] { found = d; break }
        }
        guard let def = found else { throw NetlistError("\(name): undefined subcircuit '\(subName)'") }
        guard nodes.count == def.pins.count else {
            throw NetlistError("\(name): subcircuit '\(subName)' has \(def.pins.count) pins, instance gives \(nodes.count) nodes")
        }
        guard chain.count <= Self.maximumNesting else {
            throw NetlistError("\(name): subcircuit instances nested deeper than \(Self.maximumNesting) levels")
        }
        let id = ObjectIdentifier(def)
        guard !activeDefinitions.contains(id) else {
            throw NetlistError("\(name): subcircuit '\(subName)' instantiates itself")
        }
        activeDefinitions.insert(id)
        defer { activeDefinitions.remove(id) }

        // Instance values are computed in the caller's scope, and may refer to each other.
        let local = try lineScope(named, parent: f.scope)
        // ngspice scopes dynamically: the caller's parameters are visible inside the instance.
        let inner = ParamScope(parent: f.scope)
        var multiplier = f.multiplier
        for (k, t) in def.defaults { inner.pending[k] = try expression(t) }
        var fixed: Set<String> = []
        for (k, _) in named {
            // ngspice lets an instance set both `.subckt` defaults and the subcircuit's own `.param`
            // names (sky130 declares W and L that way).
            if def.defaults.contains(where: { $0.0 == k }) || def.paramNames.contains(k) {
                inner.pending[k] = nil
                inner.values[k] = try local.value(k)
                fixed.insert(k)
            } else if k == "m" {
                // `m=` on an X line multiplies every device inside (when the subcircuit has no `m` parameter).
                let m = try local.value(k)
                guard m > 0 else { throw NetlistError("\(name): multiplier m must be positive") }
                multiplier *= m
            } else {
                throw NetlistError("\(name): subcircuit '\(subName)' has no parameter '\(k)'")
            }
        }
        for (k, _) in def.defaults {
            do { _ = try inner.value(k) } catch let e as NetlistError { throw e.located(def.location) }
        }
        try defineParams(of: def, in: inner, fixed: fixed)
        var map: [String: String] = [:]
        map.reserveCapacity(nodes.count)
        for (pin, n) in zip(def.pins, nodes) { map[pin] = node(n, f) }
        let prefix = f.prefix.isEmpty ? name : f.prefix + "." + name
        try expand(Frame(def: def, prefix: prefix, nodeMap: map, scope: inner, multiplier: multiplier))
    }
}
