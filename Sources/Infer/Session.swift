#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// How a generation ended.
public enum StopReason: Sendable, Equatable {
    /// The model produced an end-of-generation token (not included in the output).
    case endOfGeneration
    /// The caller's token callback asked to stop (a stop string was seen, for instance).
    case stoppedByCaller
    /// `maxTokens` tokens were produced.
    case maxTokens
    /// The context is full.
    case contextFull
}

/// Counts and times of one `Session.generate` call.
public struct GenerationStats: Sendable {
    /// Prompt tokens whose KV entries were reused from the previous call.
    public var reusedPromptTokens = 0
    /// Prompt tokens evaluated in this call.
    public var evaluatedPromptTokens = 0
    /// Seconds spent evaluating the prompt.
    public var promptSeconds = 0.0
    /// Tokens generated (sampled), the end token excluded.
    public var generatedTokens = 0
    /// Seconds spent generating.
    public var generationSeconds = 0.0

    public var promptTokensPerSecond: Double { promptSeconds > 0 ? Double(evaluatedPromptTokens) / promptSeconds : 0 }
    public var generationTokensPerSecond: Double { generationSeconds > 0 ? Double(generatedTokens) / generationSeconds : 0 }
}

/// The tokens a generation produced and why it stopped.
public struct GenerationResult: Sendable {
    public var tokens: [Int32]
    public var stopReason: StopReason
    public var stats: GenerationStats
}

/// A conversation with a model that keeps its KV cache between calls.
///
/// Each call's prompt is compared with the tokens already in the cache and only the part after the
/// longest common prefix is evaluated, so agent loops that resend a long system prompt pay for it
/// once.
public final class Session {
    /// The model being run.
    public var model: Model { state.model }
    /// The KV cache and buffers.
    public let state: RunState
    /// The tokens whose keys and values are in the cache, in order.
    public private(set) var cachedTokens: [Int32] = []

    /// Creates a session with a context of `contextLength` tokens (default: the model's, capped at
    /// 8192) computing with `threads` threads.
    public init(model: Model, contextLength: Int? = nil, threads: Int = 2) throws {
        state = try RunState(model: model, contextLength: contextLength ?? min(model.config.contextLength, 8192),
                             threads: threads)
    }

    /// Length of the common prefix of `prompt` and the cached tokens.
    public func commonPrefixLength(with prompt: [Int32]) -> Int {
        var n = 0
        while n < prompt.count, n < cachedTokens.count, prompt[n] == cachedTokens[n] { n += 1 }
        return n
    }

    /// Evaluates `prompt`, reusing the cached common prefix, and returns the last token's logits
    /// and how many tokens were reused.
    public func prefill(_ prompt: [Int32]) throws -> (logits: [Float], reused: Int) {
        guard !prompt.isEmpty else { throw InferError.emptyInput }
        // At least the last prompt token is evaluated: its logits are needed.
        let reuse = min(commonPrefixLength(with: prompt), prompt.count - 1)
        state.truncate(to: reuse)
        cachedTokens.removeSubrange(reuse...)
        let logits = try state.forward(tokens: Array(prompt[reuse...]), startPosition: reuse)
        cachedTokens = prompt
        return (logits, reuse)
    }

    /// Appends one token to the cache and returns the logits that follow it.
    public func feed(_ token: Int32) throws -> [Float] {
        let logits = try state.forward(tokens: [token], startPosition: cachedTokens.count)
        cachedTokens.append(token)
        return logits
    }

    /// Generates up to `maxTokens` tokens after `prompt`.
    ///
    /// - Parameters:
    ///   - next: picks the next token from the logits (which it may modify) given the tokens
    ///     generated so far in this call.
    ///   - isEndOfGeneration: true for tokens that end the turn (they are not reported).
    ///   - onToken: called with each generated token; return false to stop after it.
    public func generate(prompt: [Int32], maxTokens: Int,
                         next: (inout [Float], _ generated: [Int32]) throws -> Int32,
                         isEndOfGeneration: (Int32) -> Bool,
                         onToken: (Int32) throws -> Bool) throws -> GenerationResult {
        var stats = GenerationStats()
        let start = DispatchTime.now().uptimeNanoseconds
        var (logits, reused) = try prefill(prompt)
        stats.reusedPromptTokens = reused
        stats.evaluatedPromptTokens = prompt.count - reused
        let prefilled = DispatchTime.now().uptimeNanoseconds
        stats.promptSeconds = Double(prefilled - start) / 1e9
        var generated: [Int32] = []
        var reason = StopReason.maxTokens
        while generated.count < maxTokens {
            let token = try next(&logits, generated)
            if isEndOfGeneration(token) { reason = .endOfGeneration; break }
            generated.append(token)
            if try !onToken(token) { reason = .stoppedByCaller; break }
            if generated.count == maxTokens { break }
            if cachedTokens.count >= state.contextLimit { reason = .contextFull; break }
            logits = try feed(token)
        }
        stats.generatedTokens = generated.count
        stats.generationSeconds = Double(DispatchTime.now().uptimeNanoseconds - prefilled) / 1e9
        return GenerationResult(tokens: generated, stopReason: reason, stats: stats)
    }
}

/// Greedy choice: the index of the largest logit (the lowest index on ties).
public func argmax(_ logits: [Float]) -> Int32 {
    var best = 0
    var bestValue = -Float.infinity
    for (i, v) in logits.enumerated() where v > bestValue { best = i; bestValue = v }
    return Int32(best)
}
