import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process entry point: plain `miller sim DECK [-r FILE] [--binary] [--json]` runs directly, everything
/// else (help, errors, other subcommands) goes through ArgumentParser.
///
/// Why: ArgumentParser builds its argument tree by reflection (`Mirror`, dynamic casts), and each first
/// cast scans every protocol conformance of the static binary; that cost more than the simulation of a
/// small deck (BENCHMARKS.md, small op-amp decks).
@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let sim = SimArguments(arguments) {
            do {
                try Sim.simulate(deck: sim.deck, rawFile: sim.rawFile, binary: sim.binary, json: sim.json)
            } catch {
                StandardOutput.flush()
                Miller.exit(withError: error)
            }
            StandardOutput.flush()
            exit(0)
        }
        Miller.main()
    }
}

/// The arguments of `miller sim` when they are the plain form; anything else is left to ArgumentParser.
struct SimArguments {
    var deck = ""
    var rawFile: String?
    var binary = false
    var json = false

    init?(_ arguments: [String]) {
        guard arguments.first == "sim" else { return nil }
        var deck: String?
        var k = 1
        while k < arguments.count {
            let word = arguments[k]
            switch word {
            case "--binary": binary = true
            case "--json": json = true
            case "-r":
                guard k + 1 < arguments.count, rawFile == nil, !arguments[k + 1].hasPrefix("-") else { return nil }
                rawFile = arguments[k + 1]
                k += 1
            default:
                guard deck == nil, !word.hasPrefix("-"), !word.isEmpty else { return nil }
                deck = word
            }
            k += 1
        }
        guard let deck else { return nil }
        self.deck = deck
    }
}

/// Standard output, buffered here and written with write(2): `print` casts each item to its output
/// protocols at run time, and the first such cast scans every conformance of the binary.
enum StandardOutput {
    nonisolated(unsafe) private static var buffer: [UInt8] = []

    static func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    static func flush() {
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = writeStandardOutput(bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// write(2) to file descriptor 1 (a free function, so `write` means the C call).
private func writeStandardOutput(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(1, bytes, count)
}
