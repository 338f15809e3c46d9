import GGUF

/// A loaded Qwen2-family model: its configuration and its weights, read-only and shareable.
///
/// Loading maps the file and checks every tensor's presence, type and shape; no weight is copied
/// (F16/BF16 matrices excepted, which are widened to F32).
public final class Model: @unchecked Sendable {
    /// Hyperparameters read from the file's metadata.
    public let config: ModelConfig
    /// The GGUF file the weights live in.
    public let file: GGUFFile
    let weights: ModelWeights

    /// Maps and loads the GGUF model at `path`.
    public convenience init(path: String) throws {
        try self.init(file: try GGUFFile(path: path))
    }

    /// Loads a model from an opened GGUF file (kept alive by the model).
    public init(file: GGUFFile) throws {
        let config = try ModelConfig(file: file)
        self.config = config
        self.file = file
        weights = try ModelWeights(file: file, config: config)
    }
}

extension ModelConfig {
    /// Reads the configuration from `qwen2.*` metadata, with the defaults llama.cpp uses for
    /// optional keys.
    public init(file: GGUFFile) throws {
        guard let arch = file.metadata["general.architecture"]?.stringValue else {
            throw InferError.missingMetadata(key: "general.architecture")
        }
        guard arch == "qwen2" else { throw InferError.unsupportedArchitecture(arch) }
        let p = arch + "."
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let v = file.metadata[p + key] {
                guard let i = v.intValue else { throw InferError.missingMetadata(key: p + key) }
                return i
            }
            guard let value else { throw InferError.missingMetadata(key: p + key) }
            return value
        }
        func float(_ key: String, default value: Float) throws -> Float {
            guard let v = file.metadata[p + key] else { return value }
            guard let f = v.floatValue else { throw InferError.missingMetadata(key: p + key) }
            return f
        }
        let heads = try int("attention.head_count")
        guard let embd = file.tensor(named: "token_embd.weight") else {
            throw InferError.missingTensor(name: "token_embd.weight")
        }
        guard embd.shape.count == 2 else {
            throw InferError.wrongShape(tensor: embd.name, expected: [try int("embedding_length"), -1],
                                        actual: embd.shape)
        }
        self.init(architecture: arch,
                  layerCount: try int("block_count"),
                  embeddingLength: try int("embedding_length"),
                  feedForwardLength: try int("feed_forward_length"),
                  headCount: heads,
                  headCountKV: try int("attention.head_count_kv", default: heads),
                  contextLength: try int("context_length", default: 4096),
                  ropeFreqBase: try float("rope.freq_base", default: 10000),
                  rmsEpsilon: try float("attention.layer_norm_rms_epsilon", default: 1e-6),
                  vocabularySize: embd.shape[1])
        try validate()
    }
}
