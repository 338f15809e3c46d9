#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

extension ControlSession {
    /// Commands the interpreter knows; anything else is rejected before the block starts running.
    public static let commands: Set<String> = [
        "run", "op", "ac", "dc", "tran", "noise", "set", "unset", "let", "meas", "measure", "print", "echo",
        "setplot", "compose", "wrdata", "write", "plot", "display", "quit", "exit", "destroy", "unlet", "save", "rusage",
        "if", "else", "end", "while", "dowhile", "repeat", "foreach", "break", "continue",
    ]

    /// Runs control-block lines in order. Every command name is checked first, so a typo fails before
    /// any analysis runs; errors name the line.
    public func run(_ lines: [Card]) throws {
        for line in lines {
            guard let word = ControlSession.commandWord(line.text) else { continue }
            guard ControlSession.commands.contains(word) else {
                throw ControlError(.unknownCommand, "unknown control command '\(word)'", location: line.location)
            }
        }
        _ = try execute(try ControlSession.statements(lines))
    }

    /// The lowercased command word of a line, nil for blank lines and comments.
    static func commandWord(_ text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        guard let first = trimmed.first, first != "*", first != "#" else { return nil }
        return String(trimmed.prefix { !$0.isWhitespace }).lowercased()
    }

    /// Runs one control line.
    public func execute(_ text: String, location: SourceLocation? = nil) throws {
        guard let word = ControlSession.commandWord(text) else { return }
        let trimmed = text.trimmingWhitespace()
        let rest = String(trimmed.dropFirst(word.count)).trimmingWhitespace()
        switch word {
        case "run":
            for analysis in ControlSession.runOrder(deck.analyses) { try perform(analysis, location: location) }
        case "op": try perform(.op, location: location)
        case "ac": try perform(.ac(try ControlSession.frequencySweep(words(rest), command: "ac")), location: location)
        case "dc": try perform(.dc(try dcSweeps(words(rest))), location: location)
        case "tran": try perform(try ControlSession.transient(words(rest)), location: location)
        case "noise": try perform(try ControlSession.noise(words(rest)), location: location)
        case "set": set(rest)
        case "unset": for name in words(rest) { variables[name.lowercased()] = nil }
        case "let": try letCommand(substitute(rest))
        case "meas", "measure": try measureCommand(substitute(rest), location: location)
        case "print":
            // `print v(out) > file` writes the table to a file, as ngspice redirects any command's output.
            let (body, target, append) = ControlSession.redirection(rest)
            if let target {
                var text = ""
                try printCommand(substitute(body)) { text += $0 }
                try writeText(text, to: target, append: append)
            } else {
                try printCommand(substitute(body), output: emit)
            }
        case "echo": try echoCommand(rest)
        case "setplot":
            guard let name = words(rest).first else { return }
            guard let index = plotIndex(named: name) else { throw ControlError(.unknownVector, "setplot: no such plot '\(name)'") }
            current = index
        case "compose": try composeCommand(substitute(rest))
        case "wrdata": try wrdataCommand(substitute(rest))
        case "write": try writeCommand(substitute(rest))
        case "plot", "display": break // batch mode draws nothing
        case "quit", "exit": quitRequested = true
        case "destroy": destroy(words(rest))
        case "unlet":
            for name in words(rest) {
                plots[current].vectors.removeAll { $0.name.lowercased() == name.lowercased() }
            }
        case "save", "rusage": break // every vector is kept; resource figures are not ngspice's to compare
        case _ where ControlSession.structureWords.contains(word):
            throw ControlError(.syntax, "'\(word)' belongs to a block of lines; run it with run(_:)", location: location)
        default:
            throw ControlError(.unknownCommand, "unknown control command '\(word)'", location: location)
        }
    }

    func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    // MARK: - Analyses

    static func number(_ word: String, _ what: String) throws -> Double {
        guard let value = SpiceNumber.parse(word), value.isFinite else {
            throw ControlError(.syntax, "\(what): '\(word)' is not a number")
        }
        return value
    }

    static func frequencySweep(_ w: [String], command: String) throws -> FrequencySweep {
        guard w.count == 4, let kind = FrequencySweep.Kind(rawValue: w[0].lowercased()) else {
            throw ControlError(.syntax, "\(command) needs 'dec|oct|lin points fstart fstop'")
        }
        let points = try number(w[1], command)
        guard points >= 1, points <= 1e7 else { throw ControlError(.syntax, "\(command): bad number of points '\(w[1])'") }
        return FrequencySweep(kind: kind, points: Int(points), start: try number(w[2], command), stop: try number(w[3], command))
    }

    func dcSweeps(_ w: [String]) throws -> [DCSweep] {
        guard w.count == 4 || w.count == 8 else {
            throw ControlError(.syntax, "dc needs 'source start stop step [source2 start2 stop2 step2]'")
        }
        return try stride(from: 0, to: w.count, by: 4).map { k in
            let start = try ControlSession.number(w[k + 1], "dc"), stop = try ControlSession.number(w[k + 2], "dc")
            let step = try ControlSession.number(w[k + 3], "dc")
            guard step != 0, (stop - start) * step >= 0 else {
                throw ControlError(.syntax, "dc \(w[k]): step \(step) does not lead from \(start) to \(stop)")
            }
            let n = ((stop - start) / step * (1 + 1e-12)).rounded(.down) + 1
            guard n <= 10_000_000 else { throw ControlError(.syntax, "dc \(w[k]): too many points") }
            return DCSweep(source: w[k].lowercased(), values: (0..<Int(n)).map { start + Double($0) * step })
        }
    }

    static func transient(_ w: [String]) throws -> Analysis {
        let uic = w.last?.lowercased() == "uic"
        let numbers = try (uic ? w.dropLast() : w[...]).map { try number($0, "tran") }
        guard (2...4).contains(numbers.count) else { throw ControlError(.syntax, "tran needs 'tstep tstop [tstart [tmax]] [uic]'") }
        return .tran(step: numbers[0], stop: numbers[1], start: numbers.count > 2 ? numbers[2] : 0,
                     maxStep: numbers.count > 3 ? numbers[3] : nil, uic: uic)
    }

    static func noise(_ w: [String]) throws -> Analysis {
        guard w.count >= 6 else { throw ControlError(.syntax, "noise needs 'v(out[,ref]) source dec|oct|lin points fstart fstop'") }
        let output = w[0].lowercased()
        guard output.hasPrefix("v("), output.hasSuffix(")") else { throw ControlError(.syntax, "noise: output '\(w[0])' is not v(node)") }
        let nodes = output.dropFirst(2).dropLast().split(separator: ",").map(String.init)
        let sweep = try frequencySweep(Array(w[2..<6]), command: "noise")
        let summary = w.count > 6 ? Int(try number(w[6], "noise")) : nil
        return .noise(output: nodes.first ?? "", reference: nodes.count > 1 ? nodes[1] : nil, source: w[1].lowercased(),
                      sweep: sweep, pointsPerSummary: summary)
    }

    // MARK: - Variables and vectors

    func set(_ text: String) {
        // `set a=b c = d e`: join spaced '=' first.
        let joined = Self.joiningEquals(text)
        for word in words(joined) {
            if let eq = word.firstIndex(of: "=") {
                var value = String(word[word.index(after: eq)...])
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
                variables[word[..<eq].lowercased()] = value
            } else {
                variables[word.lowercased()] = ""
            }
        }
    }

    /// Replaces `$&vector` with its value(s) and `$variable` with its text, as ngspice does before
    /// running a line.
    func substitute(_ text: String) throws -> String {
        guard text.contains("$") else { return text }
        var out = ""
        var chars = Substring(text)
        while let dollar = chars.firstIndex(of: "$") {
            out += chars[..<dollar]
            var after = chars[chars.index(after: dollar)...]
            let isVector = after.first == "&"
            if isVector { after = after.dropFirst() }
            let name = after.prefix { $0.isLetter || $0.isNumber || "_#.@".contains($0) }
            guard !name.isEmpty else {
                out += isVector ? "$&" : "$"
                chars = after
                continue
            }
            chars = after.dropFirst(name.count)
            let key = name.lowercased()
            if isVector {
                let value = try lookup(key, plot: current)
                out += (0..<value.count).map { k in
                    ControlFormat.echo(value.re[k]) + (value.im.map { "," + ControlFormat.echo($0[k]) } ?? "")
                }.joined(separator: " ")
            } else if let value = variables[key] {
                out += value
            } else {
                throw ControlError(.unknownVector, "no such variable '$\(name)'")
            }
        }
        return out + chars
    }

    func letCommand(_ text: String) throws {
        guard let eq = text.firstIndex(of: "=") else { throw ControlError(.syntax, "let needs 'name = expression'") }
        let name = text[..<eq].trimmingWhitespace().lowercased()
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_#.".contains($0) }),
              name.first!.isLetter || name.first == "_" else {
            throw ControlError(.syntax, "let: bad vector name '\(name)'")
        }
        var value = try evaluate(try ControlExpression.parse(String(text[text.index(after: eq)...])))
        value.name = name
        store(value)
    }

    func destroy(_ names: [String]) {
        let targets = names.isEmpty ? [plots[current].name] : names
        for name in targets {
            if name.lowercased() == "all" {
                plots.removeSubrange(1...)
            } else if let index = plotIndex(named: name), index > 0 {
                plots.remove(at: index)
            }
        }
        current = plots.count - 1
    }

    // MARK: - Output

    func echoCommand(_ text: String) throws {
        var (body, target, append) = ControlSession.redirection(text)
        body = try substitute(body)
        let line = ControlSession.echoText(body) + "\n"
        if let target { try writeText(line, to: target, append: append) } else { emit(line) }
    }

    /// What `echo` prints: words joined by one space, quotes removed, and the spacing inside quotes kept
    /// (ngspice prints `echo "  indented"` with its two spaces).
    static func echoText(_ text: String) -> String {
        var words: [String] = [], word = "", quote: Character?, inWord = false
        for ch in text {
            if let q = quote {
                if ch == q { quote = nil } else { word.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch; inWord = true
            } else if ch == " " || ch == "\t" {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(ch); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words.joined(separator: " ")
    }

    /// Splits `text > file` / `text >> file` into the text, the file and whether to append.
    static func redirection(_ text: String) -> (String, String?, Bool) {
        var inQuote = false
        for (offset, ch) in text.enumerated() {
            if ch == "\"" { inQuote.toggle() }
            guard ch == ">", !inQuote else { continue }
            let index = text.index(text.startIndex, offsetBy: offset)
            let body = String(text[..<index])
            var rest = text[text.index(after: index)...]
            let append = rest.first == ">"
            if append { rest = rest.dropFirst() }
            let file = rest.trimmingWhitespace()
            return (body, file.isEmpty ? nil : file, append)
        }
        return (text, nil, false)
    }

    func writeText(_ text: String, to file: String, append: Bool) throws {
        let target = path(file)
        // open(2)/write(2): FileHandle is Foundation's, whose start-up cost every `miller` process would pay.
        let fd = open(target, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
        guard fd >= 0 else { throw ControlError(.io, "cannot write '\(target)'") }
        defer { close(fd) }
        var text = text
        let complete = text.withUTF8 { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        guard complete else { throw ControlError(.io, "cannot write '\(target)'") }
    }

    /// `a = b` with the blanks around every `=` removed (`set`, `compose`).
    static func joiningEquals(_ text: String) -> String {
        var out: [Character] = []
        for c in text {
            if c == "=" {
                while let last = out.last, last.isWhitespace { out.removeLast() }
                out.append(c)
            } else if c.isWhitespace, out.last == "=" {
                continue
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    /// Splits a list of expressions written one after another (`print a b[2] v(x)-v(y)`).
    static func expressions(_ text: String) throws -> [(ControlExpression, String)] {
        var parser = ControlExpressionParser(text)
        var result: [(ControlExpression, String)] = []
        parser.skipSpace()
        while !parser.atEnd {
            let start = parser.i
            let expression = try parser.expression(depth: 0)
            let source = String(decoding: parser.bytes[start..<parser.i], as: UTF8.self).trimmingWhitespace()
            result.append((expression, source))
            parser.skipSpace()
            if parser.peek() == 44 { parser.i += 1; parser.skipSpace() } // tolerate commas between items
        }
        return result
    }

    func printCommand(_ text: String, output emit: (String) -> Void) throws {
        var items: [ControlVector] = []
        let lowered = text.trimmingWhitespace().lowercased()
        if lowered == "all" || lowered.isEmpty {
            let plot = plots[current]
            let scale = scale(ofPlot: current)
            for v in plot.vectors.sorted(by: { ControlFormat.displayName($0.name) < ControlFormat.displayName($1.name) }) {
                var cv = ControlVector(v, scale: scale)
                cv.name = ControlFormat.displayName(v.name)
                items.append(cv)
            }
            if scale != nil { items.removeAll { $0.name == ControlFormat.displayName(scale!.name) } }
        } else {
            for (expression, source) in try ControlSession.expressions(text) {
                var value = try evaluate(expression)
                value.name = source.lowercased()
                items.append(value)
            }
        }
        guard !items.isEmpty else { return }
        if items.allSatisfy({ $0.count == 1 }) {
            for v in items {
                emit("\(v.name) = \(ControlFormat.printValue(v.re[0]))\(v.im.map { "," + ControlFormat.printValue($0[0]) } ?? "")\n")
            }
            return
        }
        emit(ControlFormat.columns(items, scale: scale(ofPlot: current),
                                   title: deck.title, plotTitle: plots[current].title))
    }

    func composeCommand(_ text: String) throws {
        let normalized = Self.joiningEquals(text)
        var w = words(normalized)
        guard !w.isEmpty else { throw ControlError(.syntax, "compose needs a vector name") }
        let name = w.removeFirst().lowercased()
        var values: [Double]
        if let first = w.first, first.lowercased().hasPrefix("values") {
            var rest = w.dropFirst().map { $0 }
            if let eq = first.firstIndex(of: "="), first.index(after: eq) < first.endIndex {
                rest.insert(String(first[first.index(after: eq)...]), at: 0)
            }
            values = try rest.map { try ControlSession.number($0, "compose values") }
        } else {
            var p: [String: Double] = [:]
            for word in w {
                guard let eq = word.firstIndex(of: "=") else { throw ControlError(.syntax, "compose: expected name=value, got '\(word)'") }
                p[word[..<eq].lowercased()] = try ControlSession.number(String(word[word.index(after: eq)...]), "compose")
            }
            let start = p["start"] ?? 0
            guard let stop = p["stop"] else { throw ControlError(.syntax, "compose \(name): needs stop=") }
            if let step = p["step"] {
                guard step != 0, (stop - start) * step >= 0 else { throw ControlError(.syntax, "compose \(name): bad step") }
                let n = Int(((stop - start) / step * (1 + 1e-12)).rounded(.down)) + 1
                guard n <= 1_000_000 else { throw ControlError(.syntax, "compose \(name): more than 1000000 points") }
                values = (0..<n).map { start + Double($0) * step }
            } else if let count = p["lin"] ?? p["len"] {
                guard count >= 1, count <= 1e6 else { throw ControlError(.syntax, "compose \(name): bad lin=") }
                let n = Int(count)
                values = n == 1 ? [start] : (0..<n).map { start + Double($0) * (stop - start) / Double(n - 1) }
            } else if let perDecade = p["dec"] {
                guard start > 0, stop >= start, perDecade >= 1, perDecade <= 1e6 else {
                    throw ControlError(.syntax, "compose \(name): dec= needs 0 < start <= stop")
                }
                let n = Int((Glibc.log10(stop / start) * perDecade * (1 + 1e-12)).rounded(.down)) + 1
                guard n <= 1_000_000 else { throw ControlError(.syntax, "compose \(name): more than 1000000 points") }
                values = (0..<n).map { start * Glibc.pow(10, Double($0) / perDecade) }
            } else {
                throw ControlError(.syntax, "compose \(name): needs step=, lin= or dec=")
            }
        }
        store(ControlVector(name: name, re: values))
    }

    func wrdataCommand(_ text: String) throws {
        var w = words(text)
        guard w.count >= 2 else { throw ControlError(.syntax, "wrdata needs 'file vector ...'") }
        let file = w.removeFirst()
        let vectors = try ControlSession.expressions(w.joined(separator: " ")).map { try evaluate($0.0) }
        let rows = vectors.map(\.count).max() ?? 0
        var out = ""
        func field(_ x: Double) -> String { String(printf: "% .8e ", x) }
        for r in 0..<rows {
            for v in vectors where r < v.count {
                if let s = v.scale, case let values = ControlFormat.reals(s), r < values.count { out += field(values[r]) }
                out += field(v.re[r])
                if let im = v.im { out += field(im[r]) }
            }
            out += "\n"
        }
        try writeText(out, to: file, append: false)
    }

    func writeCommand(_ text: String) throws {
        var w = words(text)
        guard !w.isEmpty else { throw ControlError(.syntax, "write needs a file name") }
        let file = w.removeFirst()
        var plot = plots[current]
        if !w.isEmpty {
            var vectors: [Vector] = []
            if let s = scale(ofPlot: current) { vectors.append(s) }
            for (expression, source) in try ControlSession.expressions(w.joined(separator: " ")) {
                var v = try evaluate(expression).asVector
                v.name = source.lowercased()
                vectors.append(v)
            }
            plot.vectors = vectors
        }
        do {
            try RawFile.write([plot], title: deck.title, to: path(file), binary: variables["filetype"]?.lowercased() != "ascii")
        } catch {
            throw ControlError(.io, "write \(file): \(error)")
        }
    }
}
