/// The GGUF file format: reading, validating and writing model files. Knows nothing of models.
public enum GGUFFormat {
    /// `GGUF` read as a little-endian UInt32.
    public static let magic: UInt32 = 0x4655_4747
    /// Data-section alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// Most dimensions a tensor may have (ggml's `GGML_MAX_DIMS`).
    public static let maxDimensions = 4
    /// Deepest nesting of arrays inside arrays the reader accepts (bounds recursion on hostile input).
    public static let maxArrayNesting = 8
    /// Largest `general.alignment` accepted (keeps offset arithmetic far from overflow).
    public static let maxAlignment = 1 << 30
}
