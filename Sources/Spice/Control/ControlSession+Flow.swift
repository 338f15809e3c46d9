#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// A control-block line, or a block of them under ngspice's control structures (`if`/`else`/`end`,
/// `while`, `dowhile`, `repeat`, `foreach`, `break`, `continue`).
indirect enum ControlStatement {
    case command(Card)
    case conditional(Card, then: [ControlStatement], otherwise: [ControlStatement])
    /// `while cond` tests before each pass, `dowhile cond` after.
    case loop(Card, body: [ControlStatement], testFirst: Bool)
    /// `repeat [n]`: n passes, for ever (up to the iteration limit) without n.
    case repeating(Card, body: [ControlStatement])
    /// `foreach var v1 v2 ...`: `$var` takes each word in turn.
    case foreach(Card, variable: String, values: [String], body: [ControlStatement])
    case breakLoop(Card)
    case continueLoop(Card)
}

extension ControlSession {
    /// Words that open, divide or close a block.
    static let structureWords: Set<String> = ["if", "else", "end", "while", "dowhile", "repeat", "foreach", "break", "continue"]

    /// Groups lines into statements; an `end` without an opener, or an opener without `end`, is an error
    /// naming its line.
    static func statements(_ lines: [Card]) throws -> [ControlStatement] {
        var index = 0
        let (body, stop) = try block(lines, &index, opener: nil)
        if let stop { throw ControlError(.syntax, "'\(stop)' without a matching 'if' or loop", location: lines[index - 1].location) }
        return body
    }

    /// Reads statements until `end` or `else` (returned as the stop word) or the end of the lines.
    private static func block(_ lines: [Card], _ index: inout Int, opener: Card?) throws -> ([ControlStatement], String?) {
        var out: [ControlStatement] = []
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard let word = commandWord(line.text) else { continue }
            let rest = String(line.text.trimmingWhitespace().dropFirst(word.count)).trimmingWhitespace()
            func body() throws -> [ControlStatement] {
                let (inner, stop) = try block(lines, &index, opener: line)
                guard stop == "end" else { throw ControlError(.syntax, "'\(word)' has 'else' but is not an 'if'", location: line.location) }
                return inner
            }
            switch word {
            case "end", "else":
                guard opener != nil else { throw ControlError(.syntax, "'\(word)' without a matching 'if' or loop", location: line.location) }
                return (out, word)
            case "if":
                guard !rest.isEmpty else { throw ControlError(.syntax, "'if' needs a condition", location: line.location) }
                var (then, stop) = try block(lines, &index, opener: line)
                var otherwise: [ControlStatement] = []
                if stop == "else" {
                    (otherwise, stop) = try block(lines, &index, opener: line)
                    guard stop == "end" else { throw ControlError(.syntax, "'if' has two 'else' lines", location: line.location) }
                }
                out.append(.conditional(line, then: then, otherwise: otherwise))
            case "while", "dowhile":
                guard !rest.isEmpty else { throw ControlError(.syntax, "'\(word)' needs a condition", location: line.location) }
                out.append(.loop(line, body: try body(), testFirst: word == "while"))
            case "repeat":
                out.append(.repeating(line, body: try body()))
            case "foreach":
                let parts = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard let variable = parts.first else { throw ControlError(.syntax, "'foreach' needs a variable and values", location: line.location) }
                out.append(.foreach(line, variable: variable.lowercased(), values: Array(parts.dropFirst()), body: try body()))
            case "break": out.append(.breakLoop(line))
            case "continue": out.append(.continueLoop(line))
            default: out.append(.command(line))
            }
        }
        if let opener { throw ControlError(.syntax, "'\(commandWord(opener.text) ?? "")' has no matching 'end'", location: opener.location) }
        return (out, nil)
    }

    /// What a statement asks of the loop around it.
    enum Flow { case next, breakLoop, continueLoop }

    func execute(_ statements: [ControlStatement]) throws -> Flow {
        for statement in statements where !quitRequested {
            switch statement {
            case .command(let line):
                do {
                    try execute(line.text, location: line.location)
                } catch var error as ControlError {
                    if error.location == nil { error.location = line.location }
                    throw error
                }
            case .conditional(let line, let then, let otherwise):
                let flow = try execute(try condition(line) ? then : otherwise)
                if flow != .next { return flow }
            case .loop(let line, let body, let testFirst):
                var passes = 0
                while !quitRequested {
                    if testFirst, !(try condition(line)) { break }
                    try count(&passes, line)
                    if try execute(body) == .breakLoop { break }
                    if !testFirst, !(try condition(line)) { break }
                }
            case .repeating(let line, let body):
                let times = try at(line) {
                    let text = try substitute(argument(of: line))
                    return text.isEmpty ? maximumLoopPasses + 1 : try ControlMath.integer(try evaluate(text), what: "repeat count")
                }
                var passes = 0
                for _ in 0..<max(0, times) where !quitRequested {
                    try count(&passes, line)
                    if try execute(body) == .breakLoop { break }
                }
            case .foreach(let line, let variable, let values, let body):
                let saved = variables[variable]
                defer { variables[variable] = saved }
                for value in values where !quitRequested {
                    variables[variable] = try at(line) { try substitute(value) }
                    if try execute(body) == .breakLoop { break }
                }
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
        }
        return .next
    }

    private func argument(of line: Card) -> String {
        let text = line.text.trimmingWhitespace()
        return String(text.drop { !$0.isWhitespace }).trimmingWhitespace()
    }

    /// Runs `body`, giving any error without a location the line's.
    private func at<T>(_ line: Card, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as ControlError {
            if error.location == nil { error.location = line.location }
            throw error
        }
    }

    /// ngspice's truth of a condition: some element of the vector is non-zero.
    private func condition(_ line: Card) throws -> Bool {
        try at(line) {
            let value = try evaluate(try substitute(argument(of: line)))
            return value.re.contains { $0 != 0 } || (value.im?.contains { $0 != 0 } ?? false)
        }
    }

    private func count(_ passes: inout Int, _ line: Card) throws {
        passes += 1
        guard passes <= maximumLoopPasses else {
            throw ControlError(.syntax, "loop made \(maximumLoopPasses) passes without ending", location: line.location)
        }
    }
}
