#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

/// Errors raised while building a tokenizer from model metadata.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A required metadata key is absent.
    case missingKey(String)
    /// `tokenizer.ggml.model` names a tokenizer kind other than byte-level BPE (`gpt2`).
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this implementation does not know.
    case unsupportedPreTokenizer(String)
    /// An array in the metadata does not have the length the token list needs.
    case lengthMismatch(key: String, expected: Int, actual: Int)
    /// A special-token id in the metadata lies outside the vocabulary.
    case tokenIdOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// The vocabulary is empty.
    case emptyVocabulary

    public var description: String {
        switch self {
        case .missingKey(let key):
            return "tokenizer metadata: missing key '\(key)'"
        case .unsupportedModel(let model):
            return "tokenizer metadata: tokenizer.ggml.model is '\(model)'; only 'gpt2' (byte-level BPE) is supported"
        case .unsupportedPreTokenizer(let pre):
            return "tokenizer metadata: tokenizer.ggml.pre is '\(pre)'; supported pre-tokenizers: \(PreTokenizer.supportedNames.joined(separator: ", "))"
        case .lengthMismatch(let key, let expected, let actual):
            return "tokenizer metadata: '\(key)' has \(actual) entries, expected \(expected) (one per token)"
        case .tokenIdOutOfRange(let key, let id, let size):
            return "tokenizer metadata: '\(key)' = \(id) is outside the vocabulary of \(size) tokens"
        case .emptyVocabulary:
            return "tokenizer metadata: tokenizer.ggml.tokens is empty"
        }
    }
}

/// The kind of a vocabulary entry, as GGUF's `tokenizer.ggml.token_type` numbers it.
public enum TokenKind: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6

    /// Tokens whose text is matched verbatim in input before pre-tokenization (llama.cpp's "special" cache).
    var isPartitioned: Bool { self == .control || self == .userDefined || self == .unknown }
}

/// The tokenizer-relevant metadata of a model, independent of the file it came from.
public struct TokenizerVocabulary: Sendable {
    /// Token texts in GGUF form (byte-level BPE tokens spelled with the GPT-2 byte alphabet).
    public var tokens: [String]
    /// One kind per token; `nil` means every token is `.normal`.
    public var tokenTypes: [Int32]?
    /// Merge rules "left right", highest priority first.
    public var merges: [String]
    /// `tokenizer.ggml.model` (only `gpt2` is supported).
    public var model: String
    /// `tokenizer.ggml.pre`.
    public var preTokenizer: String
    public var bos: Int32?
    public var eos: Int32?
    public var eot: Int32?
    public var eom: Int32?
    public var padding: Int32?
    public var addBOS: Bool
    public var addEOS: Bool

    public init(tokens: [String], tokenTypes: [Int32]? = nil, merges: [String], model: String = "gpt2",
                preTokenizer: String = "qwen2", bos: Int32? = nil, eos: Int32? = nil, eot: Int32? = nil,
                eom: Int32? = nil, padding: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false) {
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.model = model
        self.preTokenizer = preTokenizer
        self.bos = bos
        self.eos = eos
        self.eot = eot
        self.eom = eom
        self.padding = padding
        self.addBOS = addBOS
        self.addEOS = addEOS
    }
}

/// Byte-level BPE tokenizer (GPT-2 style) giving the same ids as llama.cpp's `llama_tokenize`.
///
/// Encoding runs: partition by special-token text (longest first) → lenient UTF-8 decode →
/// pre-tokenizer split into words → byte-level BPE per word (cached) → ids.
public struct Tokenizer: Sendable {
    let tables: TokenizerTables
    let cache: WordCache

    /// Number of entries in the vocabulary (the logits width of the model it came with).
    public var vocabularySize: Int { tables.tokenBytes.count }
    /// Beginning-of-sequence token, if the metadata names one.
    public var bos: Int32? { tables.bos }
    /// End-of-sequence token, if the metadata names one.
    public var eos: Int32? { tables.eos }
    /// End-of-turn token (`<|im_end|>` for ChatML models).
    public var eot: Int32? { tables.eot }
    /// Whether `encode(..., addSpecial: true)` prepends `bos`.
    public var addsBOS: Bool { tables.addBOS }

    /// Builds the tokenizer from metadata values.
    public init(vocabulary: TokenizerVocabulary) throws {
        tables = try TokenizerTables(vocabulary)
        cache = WordCache()
    }

    /// The kind of token `id` (`.unused` for ids outside the vocabulary).
    public func kind(_ id: Int32) -> TokenKind {
        guard id >= 0, Int(id) < tables.kinds.count else { return .unused }
        return tables.kinds[Int(id)]
    }

    /// The raw bytes a token stands for; control and user-defined tokens give their text, unused ones nothing.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0, Int(id) < tables.tokenBytes.count else { return [] }
        return tables.tokenBytes[Int(id)]
    }

    /// Whether generation should stop at `id` (EOS, EOT, EOM and the end-like tokens llama.cpp recognises).
    public func isEndOfGeneration(_ id: Int32) -> Bool {
        tables.endOfGeneration.contains(id)
    }

    /// The id of the token whose text is exactly `text`, if any.
    public func tokenID(forText text: String) -> Int32? {
        tables.idByText[text]
    }

    /// Tokenizes text as `llama_tokenize(vocab, text, addSpecial, parseSpecial)` does.
    public func encode(_ text: String, parseSpecial: Bool = true, addSpecial: Bool = true) -> [Int32] {
        encode(bytes: Array(text.utf8), parseSpecial: parseSpecial, addSpecial: addSpecial)
    }

    /// Tokenizes raw bytes (which need not be valid UTF-8: invalid bytes become U+FFFD as in llama.cpp).
    public func encode(bytes: [UInt8], parseSpecial: Bool = true, addSpecial: Bool = true) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial, tables.addBOS, let bos = tables.bos { out.append(bos) }
        for fragment in tables.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .special(let id):
                out.append(id)
            case .text(let range):
                encodeText(bytes[range], into: &out)
            }
        }
        if addSpecial, tables.addEOS, let eos = tables.eos { out.append(eos) }
        return out
    }

    /// The words the pre-tokenizer cuts `text` into (no special-token handling), for inspection and tests.
    public func preTokenize(_ text: String) -> [String] {
        let scalars = LenientUTF8.decode(Array(text.utf8)[...])
        return PreTokenizer.split(scalars, kind: tables.preTokenizer).map { word in
            var bytes: [UInt8] = []
            for i in word { LenientUTF8.append(scalars[i], to: &bytes) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Concatenates the tokens' bytes and decodes them as UTF-8 (invalid sequences become U+FFFD).
    public func decode(_ tokens: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in tokens { bytes.append(contentsOf: tokenBytes(id)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func encodeText(_ text: ArraySlice<UInt8>, into out: inout [Int32]) {
        let scalars = LenientUTF8.decode(text)
        let words = PreTokenizer.split(scalars, kind: tables.preTokenizer)
        var wordBytes: [UInt8] = []
        for word in words {
            wordBytes.removeAll(keepingCapacity: true)
            for i in word { LenientUTF8.append(scalars[i], to: &wordBytes) }
            if let hit = cache.lookup(wordBytes) {
                out.append(contentsOf: hit)
                continue
            }
            let ids = tables.bpe(wordBytes)
            cache.store(wordBytes, ids)
            out.append(contentsOf: ids)
        }
    }
}

/// A bounded, thread-safe cache of BPE results per word.
final class WordCache: @unchecked Sendable {
    private var entries: [[UInt8]: [Int32]] = [:]
    private let lock = Lock()
    private let limit = 200_000

    func lookup(_ word: [UInt8]) -> [Int32]? {
        lock.lock(); defer { lock.unlock() }
        return entries[word]
    }

    func store(_ word: [UInt8], _ ids: [Int32]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }
}
