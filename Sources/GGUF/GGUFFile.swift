/// A parsed, validated GGUF file whose tensor data stays in place (memory-mapped or in memory).
///
/// Everything is checked in `init`: header counts against the bytes that remain, every string's
/// UTF-8, alignment, shapes, block divisibility and every tensor's data range. After that the
/// object is immutable, so it can be shared across threads.
public final class GGUFFile: @unchecked Sendable {
    /// Format version (2 or 3).
    public let version: UInt32
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data-section alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// File offset where the data section starts; tensor offsets are relative to it.
    public let dataSectionOffset: Int
    /// Size of the whole file in bytes.
    public var byteCount: Int { storage.count }

    private let storage: GGUFStorage
    private let tensorIndex: [String: Int]

    /// Opens and validates the file at `path`, mapping it read-only; tensor data is never copied.
    public convenience init(path: String) throws {
        try self.init(storage: GGUFStorage(mapping: path))
    }

    /// Parses and validates a GGUF image held in memory (tests, fuzzing); the bytes are copied once.
    public convenience init(bytes: [UInt8]) throws {
        try self.init(storage: GGUFStorage(copying: bytes))
    }

    private init(storage: GGUFStorage) throws {
        let parsed = try GGUFParser.parse(storage.bytes)
        self.storage = storage
        version = parsed.version
        metadata = parsed.metadata
        metadataKeys = parsed.metadataKeys
        tensors = parsed.tensors
        alignment = parsed.alignment
        dataSectionOffset = parsed.dataSectionOffset
        var index: [String: Int] = [:]
        index.reserveCapacity(tensors.count)
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        tensorIndex = index
    }

    /// The tensor info with this name, if the file has one.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Calls `body` with the tensor's bytes (exactly `tensor.byteCount` of them, bounds validated at load).
    ///
    /// The bytes never move and stay valid for as long as this `GGUFFile` is alive (the mapping or
    /// copy is released only in `deinit`), so a caller that keeps the file alive may keep the address.
    /// `tensor` must come from this file; passing another file's info is a programming error and traps.
    public func withData<R>(of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = dataSectionOffset &+ tensor.offset
        guard let i = tensorIndex[tensor.name], tensors[i] == tensor,
              tensor.offset >= 0, start >= dataSectionOffset, start <= storage.count,
              tensor.byteCount <= storage.count - start, let base = storage.base
        else { fatalError("GGUFFile.withData: tensor '\(tensor.name)' does not belong to this file") }
        return try body(UnsafeRawBufferPointer(start: base + start, count: tensor.byteCount))
    }
}
