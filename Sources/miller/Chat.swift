import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
import Platform
import Infer

/// `miller chat`: an interactive conversation, streamed; the KV cache carries over between turns.
struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model interactively (streaming).")

    @OptionGroup var options: ModelOptions
    @Option(name: .long, help: "System message.") var system: String?
    @Option(name: .customShort("n"), help: "Most tokens per reply.") var count = 512

    func run() throws {
        let model = try Model(path: options.model)
        let tokenizer = try Tokenizer(gguf: model.file)
        let template = ChatTemplate.forModel(model.file) ?? .chatML
        let session = try Session(model: model, contextLength: options.context, threads: options.threads)
        var messages: [ChatMessage] = system.map { [.system($0)] } ?? []
                logLine("chatting with \(options.model); empty line or EOF ends")
        while true {
            StandardStreams.writeOutput("> ")
            guard let line = readLine(), !line.isEmpty else { break }
            messages.append(.user(line))
            let prompt = tokenizer.encode(template.render(messages, addGenerationPrompt: true))
            let result = try session.generate(
                prompt: prompt, tokenizer: tokenizer,
                options: TextGenerationOptions(maxTokens: count, sampler: options.samplerSettings),
                onText: { StandardStreams.writeOutput($0) })
            StandardStreams.writeOutput("\n")
            messages.append(.assistant(result.text))
            let s = result.stats
            logLine(String(printf: "[reused %d prompt tokens, evaluated %d at %.1f t/s, generated %d at %.1f t/s]",
                       s.reusedPromptTokens, s.evaluatedPromptTokens, s.promptTokensPerSecond,
                       s.generatedTokens, s.generationTokensPerSecond))
        }
    }
}
