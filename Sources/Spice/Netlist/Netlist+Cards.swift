extension Elaborator {
    /// Option flags ngspice accepts that change only what it prints or which solver it uses.
    static let harmlessOptionFlags: Set<String> = ["acct", "noacct", "nomod", "nopage", "noinit", "list", "node",
                                                   "opts", "klu", "sparse"]

    /// Applies `.options` and `.temp` (before elements: `scale` changes MOSFET sizes).
    func applyOptions() throws {
        for card in structure.cards {
            do {
                switch card.keyword {
                case ".options", ".option", ".opt":
                    let (positional, named) = try splitAssignments(card.tokens, at: card.line.location)
                    for t in positional {
                        guard let w = t.word, Self.harmlessOptionFlags.contains(w) else {
                            throw NetlistError("unsupported option '\(t)'")
                        }
                        if w == "acct" { deck.options.acct = true } else if w == "noacct" { deck.options.acct = false }
                    }
                    for (k, t) in named {
                        var o = deck.options
                        func number() throws -> Double { try value(t, global) }
                        func count() throws -> Int {
                            let v = try number()
                            guard v >= 1, v <= 1e9, v == v.rounded() else { throw NetlistError("option \(k) must be a positive integer") }
                            return Int(v)
                        }
                        func positive() throws -> Double {
                            let v = try number()
                            guard v > 0 else { throw NetlistError("option \(k) must be positive") }
                            return v
                        }
                        switch k {
                        case "reltol": o.reltol = try positive()
                        case "abstol": o.abstol = try positive()
                        case "vntol": o.vntol = try positive()
                        case "chgtol": o.chgtol = try positive()
                        case "trtol": o.trtol = try positive()
                        case "gmin": o.gmin = try positive()
                        case "itl1": o.itl1 = try count()
                        case "itl2": o.itl2 = try count()
                        case "itl4": o.itl4 = try count()
                        case "temp": o.temp = try number()
                        case "tnom": o.tnom = try number()
                        case "scale": o.scale = try positive()
                        case "method":
                            guard let w = t.word, w == "trap" || w == "gear" || w == "trapezoidal" else {
                                throw NetlistError("option method must be 'trap' or 'gear', found '\(t)'")
                            }
                            o.method = w == "gear" ? "gear" : "trap"
                        default: throw NetlistError("unsupported option '\(k)'")
                        }
                        deck.options = o
                    }
                case ".temp":
                    guard card.tokens.count == 1 else { throw NetlistError(".temp expects one temperature") }
                    deck.options.temp = try value(card.tokens[0], global)
                default: break
                }
            } catch let e as NetlistError { throw e.located(card.line.location) }
        }
    }

    /// Analyses, initial conditions, measurements and output cards, in deck order.
    func applyCards() throws {
        for card in structure.cards {
            do {
                let t = card.tokens
                switch card.keyword {
                case ".op":
                    guard t.isEmpty else { throw NetlistError(".op takes no arguments") }
                    deck.analyses.append(.op)
                case ".dc": deck.analyses.append(.dc(try dcSweeps(t)))
                case ".ac":
                    guard t.count == 4 else { throw NetlistError(".ac expects dec|oct|lin, points, start, stop") }
                    deck.analyses.append(.ac(try frequencySweep(t[...], ".ac")))
                case ".tran": deck.analyses.append(try tran(t))
                case ".noise": deck.analyses.append(try noise(t))
                case ".ic", ".nodeset":
                    let pairs = try nodeValues(t, card.keyword)
                    for (n, v) in pairs {
                        if card.keyword == ".ic" { deck.initialConditions[n] = v } else { deck.nodesets[n] = v }
                    }
                case ".meas", ".measure":
                    deck.measurements.append(Card(text: card.line.text.lowercased(), location: card.line.location))
                case ".save", ".print", ".plot", ".probe", ".four", ".width":
                    deck.outputCards.append(Card(text: card.line.text.lowercased(), location: card.line.location))
                default: break
                }
            } catch let e as NetlistError { throw e.located(card.line.location) }
        }
    }

    func number(_ t: Token) throws -> Double { try value(t, global) }

    /// Largest number of points a sweep may generate (guards against `.dc v1 0 1 1e-30`).
    static let maximumSweepPoints = 10_000_000

    func dcSweeps(_ t: [Token]) throws -> [DCSweep] {
        if t.count > 1, let w = t[1].word, ["dec", "oct", "lin", "list"].contains(w) {
            throw NetlistError(".dc: '\(w)' sweeps are not supported (ngspice 39 takes 'source start stop step')")
        }
        guard t.count == 4 || t.count == 8 else {
            throw NetlistError(".dc expects 'source start stop step' once or twice, found \(t.count) values")
        }
        var sweeps: [DCSweep] = []
        for k in stride(from: 0, to: t.count, by: 4) {
            guard let src = t[k].word else { throw NetlistError(".dc: expected a source name, found '\(t[k])'") }
            let start = try number(t[k + 1]), stop = try number(t[k + 2]), step = try number(t[k + 3])
            let known = src == "temp" || deck.elements.contains { $0.name == src && ["v", "i", "r"].contains($0.name.first!) }
            guard known else { throw NetlistError(".dc: undefined source '\(src)'") }
            guard step != 0 else { throw NetlistError(".dc \(src): step must not be zero") }
            guard (stop - start) * step >= 0 else {
                throw NetlistError(".dc \(src): step \(step) does not lead from \(start) to \(stop)")
            }
            let n = ((stop - start) / step * (1 + 1e-12)).rounded(.down) + 1
            guard n <= Double(Self.maximumSweepPoints) else {
                throw NetlistError(".dc \(src): more than \(Self.maximumSweepPoints) points")
            }
            let values = (0..<Int(n)).map { start + Double($0) * step }
            sweeps.append(DCSweep(source: src, values: values))
        }
        return sweeps
    }

    func frequencySweep(_ t: ArraySlice<Token>, _ what: String) throws -> FrequencySweep {
        let t = Array(t)
        guard t.count == 4, let k = t[0].word, let kind = FrequencySweep.Kind(rawValue: k) else {
            throw NetlistError("\(what) expects dec|oct|lin, points, start, stop")
        }
        let pts = try number(t[1])
        guard pts >= 1, pts <= Double(Self.maximumSweepPoints), pts == pts.rounded() else {
            throw NetlistError("\(what): number of points must be a positive integer, found \(pts)")
        }
        let start = try number(t[2]), stop = try number(t[3])
        if kind != .lin { guard start > 0 else { throw NetlistError("\(what): start frequency must be positive for \(k)") } }
        guard start >= 0, stop >= start else { throw NetlistError("\(what): stop frequency \(stop) is below start \(start)") }
        return FrequencySweep(kind: kind, points: Int(pts), start: start, stop: stop)
    }

    func tran(_ t: [Token]) throws -> Analysis {
        var values = t
        var uic = false
        if values.last?.word == "uic" { uic = true; values.removeLast() }
        guard (2...4).contains(values.count) else { throw NetlistError(".tran expects tstep tstop [tstart [tmax]] [uic]") }
        let nums = try values.map(number)
        guard nums[0] > 0 else { throw NetlistError(".tran: step must be positive") }
        guard nums[1] > 0 else { throw NetlistError(".tran: stop time must be positive") }
        let start = nums.count > 2 ? nums[2] : 0
        guard start >= 0, start < nums[1] else { throw NetlistError(".tran: start time must lie in [0, stop)") }
        let maxStep = nums.count > 3 ? nums[3] : nil
        if let maxStep { guard maxStep > 0 else { throw NetlistError(".tran: maximum step must be positive") } }
        return .tran(step: nums[0], stop: nums[1], start: start, maxStep: maxStep, uic: uic)
    }

    func noise(_ t: [Token]) throws -> Analysis {
        // v ( out [ref] ) src kind pts f1 f2 [ptsPerSummary]
        guard t.count >= 4, t[0].word == "v", t[1] == .lparen, let out = t[2].word else {
            throw NetlistError(".noise expects v(output[,reference]) source dec|oct|lin points start stop")
        }
        var i = 3
        var ref: String? = nil
        if i < t.count, let r = t[i].word { ref = StructureParser.canonicalNode(r); i += 1 }
        guard i < t.count, t[i] == .rparen else { throw NetlistError(".noise: expected ')' after the output node") }
        i += 1
        guard i < t.count, let src = t[i].word else { throw NetlistError(".noise: missing input source") }
        guard let input = deck.elements.first(where: { $0.name == src }) else {
            throw NetlistError(".noise: undefined source '\(src)'")
        }
        switch input.kind {
        case .voltageSource, .currentSource: break
        default: throw NetlistError(".noise: '\(src)' is not an independent voltage or current source")
        }
        i += 1
        guard t.count - i == 4 || t.count - i == 5 else {
            throw NetlistError(".noise expects v(output[,reference]) source dec|oct|lin points start stop [points per summary]")
        }
        let sweep = try frequencySweep(t[i..<(i + 4)], ".noise")
        var pps: Int? = nil
        if t.count - i == 5 {
            let v = try number(t[i + 4])
            guard v >= 0, v == v.rounded(), v < 1e9 else { throw NetlistError(".noise: points per summary must be an integer") }
            pps = Int(v)
        }
        let output = StructureParser.canonicalNode(out)
        for node in [output] + (ref.map { [$0] } ?? []) where node != "0" {
            guard deck.elements.contains(where: { $0.nodes.contains(node) }) else {
                throw NetlistError(".noise: output node '\(node)' is not in the circuit")
            }
        }
        return .noise(output: output, reference: ref, source: src, sweep: sweep, pointsPerSummary: pps)
    }

    /// `v(node)=value` pairs of `.ic` / `.nodeset`.
    func nodeValues(_ t: [Token], _ what: String) throws -> [(String, Double)] {
        var out: [(String, Double)] = []
        var i = 0
        while i < t.count {
            guard i + 5 < t.count, t[i].word == "v", t[i + 1] == .lparen, let n = t[i + 2].word, t[i + 3] == .rparen,
                  t[i + 4] == .equals, t[i + 5].isValue else {
                throw NetlistError("\(what) expects v(node)=value pairs")
            }
            out.append((StructureParser.canonicalNode(n), try number(t[i + 5])))
            i += 6
        }
        guard !out.isEmpty else { throw NetlistError("\(what) expects v(node)=value pairs") }
        return out
    }
}
