#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Elaborator {
    static let sourceKeywords: Set<String> = ["dc", "ac", "pulse", "sin", "pwl", "exp", "sffm", "am", "trnoise",
                                              "trrandom", "distof1", "distof2", "external"]

    /// Reads `[dc] v`, `ac [mag [phase]]` and one transient waveform from a V/I line's tokens after the nodes.
    func source(_ name: String, _ tokens: [Token], _ f: Frame) throws -> Source {
        var s = Source()
        var dc: Double? = nil
        var i = 0
        func isValue(_ k: Int) -> Bool {
            guard k < tokens.count else { return false }
            switch tokens[k] {
            case .expr: return true
            case .word(let w):
                return !Self.sourceKeywords.contains(w) && !(k + 1 < tokens.count && tokens[k + 1] == .equals)
            default: return false
            }
        }
        while i < tokens.count {
            let t = tokens[i]
            if i + 1 < tokens.count, tokens[i + 1] == .equals {
                throw NetlistError("\(name): unsupported source parameter '\(t)='")
            }
            switch t.word {
            case "dc":
                guard isValue(i + 1) else { throw NetlistError("\(name): missing value after 'dc'") }
                dc = try value(tokens[i + 1], f.scope)
                i += 2
            case "ac":
                s.acMagnitude = 1
                i += 1
                if isValue(i) { s.acMagnitude = try value(tokens[i], f.scope); i += 1 }
                if isValue(i) { s.acPhase = try value(tokens[i], f.scope); i += 1 }
            case "pulse", "sin", "pwl", "exp":
                guard s.waveform == nil else { throw NetlistError("\(name): more than one waveform") }
                let kind = t.word!
                i += 1
                var args: [Token] = []
                var named: [(String, Token)] = []
                let parenthesized = i < tokens.count && tokens[i] == .lparen
                if parenthesized { i += 1 }
                while i < tokens.count {
                    let a = tokens[i]
                    if parenthesized && a == .rparen { break }
                    if !parenthesized && !isValue(i) { break }
                    if i + 2 < tokens.count, tokens[i + 1] == .equals, let key = a.word, tokens[i + 2].isValue {
                        named.append((key, tokens[i + 2])); i += 3; continue
                    }
                    guard a.isValue else { throw NetlistError("\(name): unexpected '\(a)' in \(kind)") }
                    args.append(a)
                    i += 1
                }
                if parenthesized {
                    guard i < tokens.count else { throw NetlistError("\(name): unterminated '(' in \(kind)") }
                    i += 1
                }
                // `r=` and `td=` may also follow the closing parenthesis of a PWL.
                while kind == "pwl", i + 2 < tokens.count, tokens[i + 1] == .equals, let key = tokens[i].word,
                      key == "r" || key == "td", tokens[i + 2].isValue {
                    named.append((key, tokens[i + 2])); i += 3
                }
                let values = try args.map { try value($0, f.scope) }
                s.waveform = try waveform(name, kind, values, named, f)
            case let w? where Self.sourceKeywords.contains(w):
                throw NetlistError("\(name): unsupported source form '\(w)'")
            default:
                guard dc == nil, s.waveform == nil, s.acMagnitude == 0, t.isValue else {
                    throw NetlistError("\(name): unexpected '\(t)'")
                }
                dc = try value(t, f.scope)
                i += 1
            }
        }
        if let dc { s.dc = dc } else if let w = s.waveform { s.dc = Self.initialValue(w) }
        return s
    }

    func waveform(_ name: String, _ kind: String, _ v: [Double], _ named: [(String, Token)], _ f: Frame) throws -> Waveform {
        if kind != "pwl", let k = named.first?.0 { throw NetlistError("\(name): unsupported \(kind) parameter '\(k)'") }
        func padded(_ max: Int) throws -> [Double?] {
            guard v.count >= 2 else { throw NetlistError("\(name): \(kind) needs at least 2 values, found \(v.count)") }
            guard v.count <= max else { throw NetlistError("\(name): \(kind) takes at most \(max) values, found \(v.count)") }
            return v.map { Optional($0) }
        }
        switch kind {
        case "pulse":
            // The eighth value (number of pulses) is accepted and ignored, as the Deck documents.
            return .pulse(Array(try padded(8).prefix(7)))
        case "sin": return .sin(try padded(6))
        case "exp": return .exp(try padded(6))
        default:
            guard v.count >= 2, v.count % 2 == 0 else {
                throw NetlistError("\(name): pwl needs time-value pairs, found \(v.count) values")
            }
            var points: [(time: Double, value: Double)] = []
            for k in stride(from: 0, to: v.count, by: 2) {
                if let last = points.last, v[k] < last.time {
                    throw NetlistError("\(name): pwl times must not decrease (\(v[k]) after \(last.time))")
                }
                points.append((v[k], v[k + 1]))
            }
            var repeatFrom: Double? = nil
            var delay = 0.0
            for (k, t) in named {
                switch k {
                case "r": repeatFrom = try value(t, f.scope)
                case "td": delay = try value(t, f.scope)
                default: throw NetlistError("\(name): unsupported pwl parameter '\(k)'")
                }
            }
            return .pwl(points: points, repeatFrom: repeatFrom, delay: delay)
        }
    }

    /// The waveform's value at t = 0, which ngspice uses as the source's DC value when none is given.
    static func initialValue(_ w: Waveform) -> Double {
        switch w {
        case .pulse(let v): return v[0] ?? 0
        case .sin(let v):
            let vo = v[0] ?? 0, va = v.count > 1 ? (v[1] ?? 0) : 0
            let phase = v.count > 5 ? (v[5] ?? 0) : 0
            return vo + va * Glibc.sin(phase * Double.pi / 180)
        case .exp(let v): return v[0] ?? 0
        case .pwl(let points, _, _): return points.first?.value ?? 0
        }
    }
}
