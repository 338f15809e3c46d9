import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Infer

/// Options shared by `generate` and `chat`: model, sampling and threads.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path to a GGUF model (qwen2 architecture).") var model: String
    @Option(name: .long, help: "Temperature (0 = greedy).") var temp: Float = 0.8
    @Option(name: .long, help: "Top-k (0 = off).") var topK: Int = 40
    @Option(name: .long, help: "Top-p.") var topP: Float = 0.95
    @Option(name: .long, help: "Min-p.") var minP: Float = 0.05
    @Option(name: .long, help: "Repetition penalty (1 = off).") var repeatPenalty: Float = 1.0
    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customShort("t"), help: "Threads.") var threads = 2
    @Option(name: .customShort("c"), help: "Context length in tokens (default: model's, at most 8192).") var context: Int?

    var samplerSettings: SamplerSettings {
        SamplerSettings(temperature: temp, topK: topK, topP: topP, minP: minP, repeatPenalty: repeatPenalty,
                        seed: seed)
    }
}

func logLine(_ text: String) { StandardStreams.writeError(text + "\n") }

/// `miller generate`: one completion, the text alone on stdout.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a completion (text on stdout, logs and timings on stderr).")

    @OptionGroup var options: ModelOptions
    @Option(name: .shortAndLong, help: "Prompt text.") var prompt: String
    @Option(name: .customShort("n"), help: "Most tokens to generate.") var count = 128
    @Flag(name: .long, help: "Wrap the prompt in the model's chat template as a user turn.") var chat = false
    @Option(name: .long, help: "System message (with --chat).") var system: String?
    @Option(name: .long, help: "Stop string (repeatable).") var stop: [String] = []

    func run() throws {
        let t0 = Date()
        let model = try Model(path: options.model)
        let tokenizer = try Tokenizer(gguf: model.file)
        logLine(String(printf: "loaded %@ in %.3f s", options.model, Date().timeIntervalSince(t0)))
        var text = prompt
        if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(prompt))
            text = (ChatTemplate.forModel(model.file) ?? .chatML).render(messages, addGenerationPrompt: true)
        }
        let tokens = tokenizer.encode(text)
        let session = try Session(model: model, contextLength: options.context, threads: options.threads)
                let result = try session.generate(
            prompt: tokens, tokenizer: tokenizer,
            options: TextGenerationOptions(maxTokens: count, sampler: options.samplerSettings, stopStrings: stop),
            onText: { StandardStreams.writeOutput($0) })
        StandardStreams.writeOutput("\n")
        let s = result.stats
        logLine(String(printf: "prompt: %d tokens in %.3f s (%.1f t/s); generated: %d tokens in %.3f s (%.1f t/s); stop: %@",
                   s.evaluatedPromptTokens, s.promptSeconds, s.promptTokensPerSecond, s.generatedTokens,
                   s.generationSeconds, s.generationTokensPerSecond, "\(result.stopReason)"))
    }
}
