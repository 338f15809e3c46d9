import GGUF

extension TokenizerVocabulary {
    /// Reads the `tokenizer.ggml.*` keys of a GGUF file.
    public init(gguf: GGUFFile) throws {
        let model = try gguf.string("tokenizer.ggml.model")
        guard model == "gpt2" else { throw TokenizerError.unsupportedModel(model) }
        let pre = gguf.metadata["tokenizer.ggml.pre"] == nil ? "default" : try gguf.string("tokenizer.ggml.pre")
        let tokens = try gguf.strings("tokenizer.ggml.tokens")
        let types: [Int32]? = gguf.metadata["tokenizer.ggml.token_type"] == nil
            ? nil : try gguf.ints("tokenizer.ggml.token_type").map { Int32(truncatingIfNeeded: $0) }
        let merges = gguf.metadata["tokenizer.ggml.merges"] == nil ? [] : try gguf.strings("tokenizer.ggml.merges")
        func id(_ key: String) throws -> Int32? {
            guard gguf.metadata[key] != nil else { return nil }
            let v = try gguf.int(key)
            guard v >= 0, v < tokens.count else {
                throw TokenizerError.tokenIdOutOfRange(key: key, id: v, vocabularySize: tokens.count)
            }
            return Int32(v)
        }
        func flag(_ key: String, _ fallback: Bool) throws -> Bool {
            gguf.metadata[key] == nil ? fallback : try gguf.bool(key)
        }
        self.init(tokens: tokens, tokenTypes: types, merges: merges, model: model, preTokenizer: pre,
                  bos: try id("tokenizer.ggml.bos_token_id"), eos: try id("tokenizer.ggml.eos_token_id"),
                  eot: try id("tokenizer.ggml.eot_token_id"), eom: try id("tokenizer.ggml.eom_token_id"),
                  padding: try id("tokenizer.ggml.padding_token_id"),
                  addBOS: try flag("tokenizer.ggml.add_bos_token", false),
                  addEOS: try flag("tokenizer.ggml.add_eos_token", false))
    }
}

extension Tokenizer {
    /// Builds the tokenizer from a model file's metadata (byte-level BPE, `tokenizer.ggml.model` = `gpt2`).
    public init(gguf: GGUFFile) throws {
        try self.init(vocabulary: TokenizerVocabulary(gguf: gguf))
    }
}

extension ChatTemplate {
    /// The template for a model file: ChatML when its `tokenizer.chat_template` is ChatML (see `detect`).
    public static func forModel(_ gguf: GGUFFile, jinja: Bool = false) -> ChatTemplate? {
        detect(metadataTemplate: gguf.metadata["tokenizer.chat_template"]?.stringValue, jinja: jinja)
    }
}
