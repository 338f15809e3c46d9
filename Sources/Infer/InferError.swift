/// Everything that can go wrong loading or running a model, with what and where.
public enum InferError: Error, CustomStringConvertible, Equatable {
    /// `general.architecture` names a model family this library does not run.
    case unsupportedArchitecture(String)
    /// A required metadata key is absent or has the wrong type.
    case missingMetadata(key: String)
    /// A metadata value is present but unusable (zero heads, head count not dividing width, ...).
    case invalidMetadata(key: String, reason: String)
    /// A tensor the architecture needs is not in the file.
    case missingTensor(name: String)
    /// A tensor has a shape other than the one the metadata implies (GGUF order, innermost first).
    case wrongShape(tensor: String, expected: [Int], actual: [Int])
    /// A tensor is stored in a type this library does not compute with.
    case unsupportedTensorType(tensor: String, type: String)
    /// The tokens would run past the context the state was created for.
    case contextOverflow(needed: Int, limit: Int)
    /// A token id outside the vocabulary.
    case invalidToken(Int32, vocabularySize: Int)
    /// A start position that does not continue the cached tokens.
    case invalidPosition(Int, cached: Int)
    /// A forward pass over no tokens.
    case emptyInput

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let arch):
            return "unsupported model architecture '\(arch)' (supported: qwen2)"
        case .missingMetadata(let key): return "missing or mistyped metadata key '\(key)'"
        case .invalidMetadata(let key, let reason): return "invalid metadata '\(key)': \(reason)"
        case .missingTensor(let name): return "missing tensor '\(name)'"
        case .wrongShape(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has shape \(actual), expected \(expected)"
        case .unsupportedTensorType(let tensor, let type):
            return "tensor '\(tensor)' has type \(type), which is not supported for compute (use F32, F16, BF16 or Q8_0)"
        case .contextOverflow(let needed, let limit):
            return "context overflow: \(needed) tokens needed, the context holds \(limit)"
        case .invalidToken(let token, let vocab):
            return "token id \(token) is outside the vocabulary (size \(vocab))"
        case .invalidPosition(let position, let cached):
            return "start position \(position) is past the \(cached) cached tokens"
        case .emptyInput: return "no tokens to process"
        }
    }
}
