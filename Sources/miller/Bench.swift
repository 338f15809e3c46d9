import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Infer

/// `miller bench`: prompt-processing and generation throughput, as llama-bench reports them.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt-processing and generation tokens/s (mean ± sd) like llama-bench.")

    @Option(name: .shortAndLong, help: "Path to a GGUF model.") var model: String
    @Option(name: .customShort("p"), help: "Prompt tokens per pp test (0 skips).") var prompt = 128
    @Option(name: .customShort("n"), help: "Generated tokens per tg test (0 skips).") var generate = 64
    @Option(name: .customShort("t"), help: "Threads.") var threads = 2
    @Option(name: .customShort("r"), help: "Repetitions.") var repetitions = 5
    @Option(name: .long, help: "Also time a second prompt sharing this many tokens with the first (0 skips).")
    var prefixReuse = 0
    @Option(name: .long, help: "New tokens after the shared prefix in --prefix-reuse.") var suffix = 50

    func run() throws {
        let fileName = model.split(separator: "/").last.map(String.init) ?? model
        let t0 = Date()
        let loaded = try Model(path: model)
        let loadSeconds = Date().timeIntervalSince(t0)
        let c = loaded.config
        StandardStreams.writeError(String(printf: "loaded %@ in %.3f s (%d layers, width %d, vocab %d)\n",
            fileName, loadSeconds, c.layerCount, c.embeddingLength, c.vocabularySize))
        let results = try Benchmark.run(model: loaded, promptTokens: prompt, generatedTokens: generate,
                                        threads: threads, repetitions: repetitions)
        print("| model | threads | test | t/s |")
        print("| --- | ---: | ---: | ---: |")
        for r in results {
            print(String(printf: "| %@ | %d | %@ | %.2f ± %.2f |", fileName,
                         threads, r.name, r.mean, r.standardDeviation))
        }
            if prefixReuse > 0 {
            let (first, second) = try Benchmark.prefixReuse(model: loaded, prefix: prefixReuse, suffix: suffix,
                                                            threads: threads)
            print(String(printf: "prefix reuse: %d+%d tokens cold %.3f s; same %d-token prefix + %d new tokens %.3f s",
                         prefixReuse, suffix, first, prefixReuse, suffix, second))
        }
    }
}
