/// The hyperparameters of a Qwen2-family model, read from GGUF metadata in one place.
public struct ModelConfig: Sendable, Equatable {
    /// `general.architecture` (always `qwen2` for now).
    public var architecture: String
    /// Transformer blocks (`qwen2.block_count`).
    public var layerCount: Int
    /// Width of the residual stream (`qwen2.embedding_length`).
    public var embeddingLength: Int
    /// Hidden width of the SwiGLU feed-forward (`qwen2.feed_forward_length`).
    public var feedForwardLength: Int
    /// Query heads (`qwen2.attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`qwen2.attention.head_count_kv`, default: `headCount`).
    public var headCountKV: Int
    /// Longest sequence the model was trained for (`qwen2.context_length`, default 4096).
    public var contextLength: Int
    /// RoPE base frequency (`qwen2.rope.freq_base`, default 10000).
    public var ropeFreqBase: Float
    /// RMSNorm epsilon (`qwen2.attention.layer_norm_rms_epsilon`, default 1e-6).
    public var rmsEpsilon: Float
    /// Rows of the token embedding.
    public var vocabularySize: Int

    /// Width of one attention head.
    public var headDimension: Int { embeddingLength / headCount }
    /// Width of the key (and value) projection: all KV heads together.
    public var kvDimension: Int { headCountKV * headDimension }

    public init(architecture: String = "qwen2", layerCount: Int, embeddingLength: Int,
                feedForwardLength: Int, headCount: Int, headCountKV: Int, contextLength: Int,
                ropeFreqBase: Float = 10000, rmsEpsilon: Float = 1e-6, vocabularySize: Int) {
        self.architecture = architecture
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.rmsEpsilon = rmsEpsilon
        self.vocabularySize = vocabularySize
    }

    /// Checks the relations the forward pass relies on.
    func validate() throws {
        let p = architecture + "."
        func positive(_ value: Int, _ key: String) throws {
            if value <= 0 { throw InferError.invalidMetadata(key: p + key, reason: "must be positive, is \(value)") }
        }
        try positive(layerCount, "block_count")
        try positive(embeddingLength, "embedding_length")
        try positive(feedForwardLength, "feed_forward_length")
        try positive(headCount, "attention.head_count")
        try positive(headCountKV, "attention.head_count_kv")
        try positive(contextLength, "context_length")
        if embeddingLength % headCount != 0 {
            throw InferError.invalidMetadata(key: p + "attention.head_count",
                reason: "\(headCount) heads do not divide embedding length \(embeddingLength)")
        }
        if headCount % headCountKV != 0 {
            throw InferError.invalidMetadata(key: p + "attention.head_count_kv",
                reason: "\(headCountKV) KV heads do not divide \(headCount) query heads")
        }
        if headDimension % 2 != 0 {
            throw InferError.invalidMetadata(key: p + "attention.head_count",
                reason: "head dimension \(headDimension) is odd (rotary embedding needs pairs)")
        }
        if !(ropeFreqBase > 0) || !ropeFreqBase.isFinite {
            throw InferError.invalidMetadata(key: p + "rope.freq_base", reason: "must be a positive number")
        }
        if !(rmsEpsilon >= 0) || !rmsEpsilon.isFinite {
            throw InferError.invalidMetadata(key: p + "attention.layer_norm_rms_epsilon", reason: "must be a non-negative number")
        }
    }
}
