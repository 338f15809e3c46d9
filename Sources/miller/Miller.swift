import ArgumentParser

/// The command tree; `Main` runs it (after its fast path for plain `miller sim DECK`).
struct Miller: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "miller",
        abstract: "Op-amp sizing engine: a SPICE simulator and quantized-LLM inference in one binary.",
        subcommands: [
            Quantize.self,
            Bench.self,
            Sim.self,
            Tokenize.self,
            Generate.self,
            Chat.self,
            PDK.self,
            Size.self,
        ])
}
