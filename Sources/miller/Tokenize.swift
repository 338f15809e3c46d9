import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import GGUF
import Infer

/// `miller tokenize`: prints token ids exactly as `llama-tokenize --ids` does, with its defaults
/// (escapes processed, special tokens parsed, BOS only where the model asks for it).
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, in llama-tokenize --ids format.")

    @Option(name: .shortAndLong, help: "GGUF model file.")
    var model: String

    @Option(name: [.customShort("f"), .long], help: "Read the text from this file (verbatim bytes).")
    var file: String?

    @Flag(name: .customLong("stdin"), help: "Read the text from standard input (takes precedence).")
    var stdin = false

    @Option(name: [.customShort("p"), .long], help: "The text (alternative to the positional argument).")
    var prompt: String?

    @Argument(help: "The text to tokenize.")
    var text: String?

    @Flag(name: .customLong("no-escape"), help: "Do not process \\n, \\t, \\xHH ... escapes.")
    var noEscape = false

    @Flag(name: .customLong("no-parse-special"), help: "Treat special-token text as ordinary text.")
    var noParseSpecial = false

    @Flag(name: .customLong("no-bos"), help: "Never add a BOS token.")
    var noBOS = false

    @Flag(name: .customLong("ids"), help: "Accepted for llama-tokenize compatibility (ids are always printed).")
    var ids = false

    func run() throws {
        var bytes: [UInt8]
        if stdin {
            bytes = StandardStreams.readInput()
        } else if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read file '\(file)'")
            }
            bytes = [UInt8](data)
        } else if let t = prompt ?? text {
            bytes = Array(t.utf8)
        } else {
            throw ValidationError("give the text as an argument, with -p, or with --file")
        }
        if !noEscape { bytes = Tokenizer.processEscapes(bytes) }
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: model))
        let ids = tokenizer.encode(bytes: bytes, parseSpecial: !noParseSpecial, addSpecial: tokenizer.addsBOS && !noBOS)
        print(Tokenizer.formatIDs(ids))
    }
}
