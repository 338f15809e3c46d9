/// Where one tensor lives in a GGUF file and how its elements are stored.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Dimensions as GGUF stores them: `shape[0]` (ne0) is the innermost, contiguous one.
    public let shape: [Int]
    /// The element type.
    public let type: GGMLType
    /// Byte offset of the tensor's data within the file's data section.
    public let offset: Int
    /// Bytes of data the tensor occupies.
    public let byteCount: Int

    /// Number of elements (the product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Rows of `shape[0]` elements: the product of the other dimensions.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}
