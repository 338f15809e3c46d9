import ArgumentParser
import Foundation
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
        let out = FileHandle.standardOutput
        logLine("chatting with \(options.model); empty line or EOF ends")
        while true {
            out.write(Data("> ".utf8))
            guard let line = readLine(), !line.isEmpty else { break }
            messages.append(.user(line))
            let prompt = tokenizer.encode(template.render(messages, addGenerationPrompt: true))
            let result = try session.generate(
                prompt: prompt, tokenizer: tokenizer,
                options: TextGenerationOptions(maxTokens: count, sampler: options.samplerSettings),
                onText: { out.write(Data($0.utf8)) })
            out.write(Data("\n".utf8))
            messages.append(.assistant(result.text))
            let s = result.stats
            logLine(String(format: "[reused %d prompt tokens, evaluated %d at %.1f t/s, generated %d at %.1f t/s]",
                       s.reusedPromptTokens, s.evaluatedPromptTokens, s.promptTokensPerSecond,
                       s.generatedTokens, s.generationTokensPerSecond))
        }
    }
}
