/// Settings of a text generation call.
public struct TextGenerationOptions: Sendable {
    /// Most tokens to generate.
    public var maxTokens: Int
    /// Sampling settings (greedy by default).
    public var sampler: SamplerSettings
    /// Generation stops as soon as the output contains one of these; the stop string and anything
    /// after it are not part of the output.
    public var stopStrings: [String]

    public init(maxTokens: Int = 256, sampler: SamplerSettings = .greedy, stopStrings: [String] = []) {
        self.maxTokens = maxTokens
        self.sampler = sampler
        self.stopStrings = stopStrings
    }
}

/// The text a generation produced.
public struct TextGenerationResult: Sendable {
    /// The output text, stop string excluded.
    public var text: String
    /// The tokens sampled (the end-of-generation token excluded).
    public var tokens: [Int32]
    public var stopReason: StopReason
    public var stats: GenerationStats
}

extension Session {
    /// Generates text after `prompt` with sampling, an optional decoding constraint and stop
    /// strings, streaming complete UTF-8 text through `onText` (never a partial character, never
    /// text that might turn out to start a stop string).
    public func generate(prompt: [Int32], tokenizer: Tokenizer, options: TextGenerationOptions = .init(),
                         constraint: (any DecodingConstraint)? = nil,
                         onText: (String) throws -> Void = { _ in }) throws -> TextGenerationResult {
        var sampler = Sampler(options.sampler)
        var constraint = constraint
        let masker = constraint == nil ? nil : ConstraintMasker(tokenizer: tokenizer)
        let stops = options.stopStrings.filter { !$0.isEmpty }.map { Array($0.utf8) }
        var bytes: [UInt8] = []
        var emitted = 0
        var stoppedByString = false

        /// Emits bytes[emitted..<end], cut back to a complete UTF-8 character.
        func emit(upTo end: Int) throws {
            let cut = completeUTF8Prefix(bytes, from: emitted, to: end)
            if cut > emitted {
                try onText(String(decoding: bytes[emitted..<cut], as: UTF8.self))
                emitted = cut
            }
        }

        let result = try generate(prompt: prompt, maxTokens: options.maxTokens, next: { logits, generated in
            let recent = ArraySlice(prompt + generated)
            if var c = constraint, let masker {
                let mask = masker.mask(&c)
                constraint = c
                return sampler.sample(logits: &logits, recent: recent, mask: mask)
            }
            return sampler.sample(logits: &logits, recent: recent)
        }, isEndOfGeneration: { tokenizer.isEndOfGeneration($0) || $0 < 0 }, onToken: { token in
            let piece = tokenizer.tokenBytes(token)
            if var c = constraint { try c.accept(piece); constraint = c }
            let searchFrom = max(0, bytes.count - (stops.map(\.count).max() ?? 0))
            bytes.append(contentsOf: piece)
            // A stop string completed: cut the output there and stop.
            var stopAt: Int?
            for s in stops {
                if let i = firstIndex(of: s, in: bytes, from: searchFrom) { stopAt = min(stopAt ?? i, i) }
            }
            if let stopAt {
                bytes.removeSubrange(stopAt...)
                stoppedByString = true
                return false
            }
            // Hold back a tail that could still become a stop string.
            var hold = 0
            for s in stops { hold = max(hold, longestSuffixPrefix(bytes, s)) }
            try emit(upTo: bytes.count - hold)
            return true
        })
        // Flush what was held back (a trailing partial character decodes to U+FFFD).
        if emitted < bytes.count {
            try onText(String(decoding: bytes[emitted...], as: UTF8.self))
            emitted = bytes.count
        }
        var reason = result.stopReason
        if stoppedByString { reason = .stoppedByCaller }
        return TextGenerationResult(text: String(decoding: bytes, as: UTF8.self), tokens: result.tokens,
                                    stopReason: reason, stats: result.stats)
    }
}

/// The end of the longest prefix of bytes[start..<end] that does not stop inside a UTF-8 sequence.
func completeUTF8Prefix(_ bytes: [UInt8], from start: Int, to end: Int) -> Int {
    var i = end
    // Look back at most 3 bytes for the lead byte of an unfinished sequence.
    var back = 0
    while i > start, back < 4 {
        let b = bytes[i - 1]
        if b & 0xC0 == 0x80 { i -= 1; back += 1; continue }
        let need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
        return back + 1 >= need ? end : i - 1
    }
    return end
}

/// Index of the first occurrence of `needle` in `hay` at or after `from`.
func firstIndex(of needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
    guard needle.count <= hay.count else { return nil }
    var i = from
    while i + needle.count <= hay.count {
        if hay[i] == needle[0], hay[i..<i + needle.count].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

/// Length of the longest proper prefix of `s` that `bytes` ends with.
func longestSuffixPrefix(_ bytes: [UInt8], _ s: [UInt8]) -> Int {
    var n = min(s.count - 1, bytes.count)
    while n > 0 {
        if bytes[(bytes.count - n)...].elementsEqual(s[..<n]) { return n }
        n -= 1
    }
    return 0
}
