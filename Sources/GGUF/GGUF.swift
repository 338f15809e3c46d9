/// The GGUF file format: reading, validating and writing model files. Knows nothing of models.
public enum GGUFFormat {
    /// `GGUF` read as a little-endian UInt32.
    public static let magic: UInt32 = 0x4655_4747
}
