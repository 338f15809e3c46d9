#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
private let systemClose = Darwin.close
#endif

/// Builds a GGUF v3 file: metadata in insertion order, tensor infos, then the aligned data section.
///
/// Tensors either carry their bytes (`addTensor`) or are declared and streamed at write time
/// (`declareTensor` + `write(to:streaming:)`), so a large model never has to sit in memory whole.
public struct GGUFWriter {
    /// Data-section alignment; written as `general.alignment` when it differs from 32 or was set.
    public var alignment: Int = GGUFFormat.defaultAlignment {
        didSet { if metadata["general.alignment"] != nil { metadata["general.alignment"] = .uint32(UInt32(truncatingIfNeeded: alignment)) } }
    }

    private var keys: [String] = []
    private var metadata: [String: GGUFValue] = [:]
    private var entries: [Entry] = []
    private var names = Set<String>()

    private struct Entry {
        var name: String
        var shape: [Int]
        var type: GGMLType
        var byteCount: Int
        var data: [UInt8]?
    }

    public init() {}

    /// Sets `key` to `value`, keeping the key's first position when it is set again.
    ///
    /// Arrays must hold one type (the format stores one element type per array); `write` rejects
    /// mixed arrays. Setting `general.alignment` to a power of two also sets `alignment`.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if metadata[key] == nil { keys.append(key) }
        metadata[key] = value
        if key == "general.alignment", let a = value.intValue, a > 0, a & (a - 1) == 0, a <= GGUFFormat.maxAlignment {
            alignment = a
        }
    }

    /// Metadata keys in the order they will be written.
    public var metadataKeys: [String] { keys }

    /// Adds a tensor with its data, which must be exactly the size `shape` and `type` imply.
    public mutating func addTensor(name: String, shape: [Int], type: GGMLType, data: [UInt8]) throws {
        let byteCount = try validate(name: name, shape: shape, type: type)
        guard data.count == byteCount else {
            throw GGUFError.sizeMismatch(what: "data bytes for tensor '\(name)' (\(type.name) \(shape))",
                                         expected: byteCount, actual: data.count)
        }
        names.insert(name)
        entries.append(Entry(name: name, shape: shape, type: type, byteCount: byteCount, data: data))
    }

    /// Adds a tensor whose bytes are supplied later by `write(to:streaming:)`.
    public mutating func declareTensor(name: String, shape: [Int], type: GGMLType) throws {
        let byteCount = try validate(name: name, shape: shape, type: type)
        names.insert(name)
        entries.append(Entry(name: name, shape: shape, type: type, byteCount: byteCount, data: nil))
    }

    private func validate(name: String, shape: [Int], type: GGMLType) throws -> Int {
        guard !names.contains(name) else { throw GGUFError.invalidWrite("duplicate tensor name '\(name)'") }
        guard (1...GGUFFormat.maxDimensions).contains(shape.count), shape.allSatisfy({ $0 >= 1 }) else {
            throw GGUFError.invalidWrite("tensor '\(name)' has invalid shape \(shape)")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw GGUFError.invalidWrite("tensor '\(name)' shape \(shape) overflows") }
            count = p
        }
        guard shape[0] % type.blockSize == 0, let bytes = type.byteCount(forElements: count) else {
            throw GGUFError.invalidWrite("tensor '\(name)': first dimension \(shape[0]) is not a multiple of \(type.name)'s block size \(type.blockSize)")
        }
        return bytes
    }

    /// The tensor infos as they will be written (offsets within the data section).
    public var tensorInfos: [GGUFTensorInfo] {
        var offset = 0
        return entries.map { e in
            let info = GGUFTensorInfo(name: e.name, shape: e.shape, type: e.type, offset: offset, byteCount: e.byteCount)
            offset = align(offset + e.byteCount)
            return info
        }
    }

    private func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    // MARK: - Encoding

    private var effectiveKeys: [String] {
        alignment != GGUFFormat.defaultAlignment && metadata["general.alignment"] == nil
            ? keys + ["general.alignment"] : keys
    }

    private func effectiveValue(_ key: String) -> GGUFValue {
        if key == "general.alignment", metadata[key] == nil || alignment != GGUFFormat.defaultAlignment {
            return .uint32(UInt32(truncatingIfNeeded: alignment))
        }
        return metadata[key]!
    }

    /// Header bytes: magic, version, counts, metadata, tensor infos and padding up to the data section.
    private func header() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(GGUFFormat.magic)
        out.appendLE(UInt32(3))
        out.appendLE(UInt64(entries.count))
        let keys = effectiveKeys
        out.appendLE(UInt64(keys.count))
        for key in keys {
            out.appendString(key)
            let v = effectiveValue(key)
            out.appendLE(v.typeCode)
            out.appendValue(v)
        }
        for info in tensorInfos {
            out.appendString(info.name)
            out.appendLE(UInt32(info.shape.count))
            for d in info.shape { out.appendLE(UInt64(d)) }
            out.appendLE(info.type.rawValue)
            out.appendLE(UInt64(info.offset))
        }
        out.append(contentsOf: repeatElement(0, count: align(out.count) - out.count))
        return out
    }

    /// The whole file in memory; declared-but-unstreamed tensors are written as zeros.
    public func serialize() -> [UInt8] {
        var out = header()
        for e in entries {
            if let data = e.data { out.append(contentsOf: data) } else { out.append(contentsOf: repeatElement(0, count: e.byteCount)) }
            out.append(contentsOf: repeatElement(0, count: align(e.byteCount) - e.byteCount))
        }
        return out
    }

    /// Checks what `serialize` cannot: every array holds a single type.
    private func checkEncodable() throws {
        func homogeneous(_ v: GGUFValue) -> Bool {
            guard case .array(let items) = v, let first = items.first else { return true }
            return items.allSatisfy { $0.typeCode == first.typeCode && homogeneous($0) }
        }
        for key in keys where !homogeneous(metadata[key]!) {
            throw GGUFError.invalidWrite("array value of '\(key)' mixes element types")
        }
    }

    /// Writes the file; every tensor must have been added with its data.
    public func write(to path: String) throws {
        try write(to: path) { info, _ in
            throw GGUFError.invalidWrite("tensor '\(info.name)' was declared but no data was streamed for it")
        }
    }

    /// Writes the file, asking `produce` for the bytes of each declared tensor in order.
    ///
    /// `produce` gets the tensor's info and an `emit` function to call with consecutive chunks of
    /// its data; the chunks must add up to exactly `info.byteCount`. The file is written to
    /// `path.partial` and renamed into place only when complete.
    public func write(to path: String,
                      streaming produce: (_ info: GGUFTensorInfo, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try checkEncodable()
        let partial = path + ".partial"
        let file = try OutputFile(path: partial)
        do {
            try file.write(header())
            for (e, info) in zip(entries, tensorInfos) {
                if let data = e.data {
                    try data.withUnsafeBytes { try file.write($0) }
                } else {
                    var written = 0
                    try produce(info) { chunk in
                        written += chunk.count
                        guard written <= info.byteCount else {
                            throw GGUFError.sizeMismatch(what: "bytes streamed for tensor '\(info.name)'",
                                                         expected: info.byteCount, actual: written)
                        }
                        try file.write(chunk)
                    }
                    guard written == info.byteCount else {
                        throw GGUFError.sizeMismatch(what: "bytes streamed for tensor '\(info.name)'",
                                                     expected: info.byteCount, actual: written)
                    }
                }
                try file.write([UInt8](repeating: 0, count: align(e.byteCount) - e.byteCount))
            }
            try file.close()
        } catch {
            file.abandon()
            throw error
        }
        guard rename(partial, path) == 0 else {
            throw GGUFError.writeFailed(path: path, reason: "rename: " + GGUFStorage.errnoText())
        }
    }
}

/// A POSIX file opened for writing, with writes that retry on short counts.
private final class OutputFile {
    let path: String
    private var fd: Int32

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw GGUFError.writeFailed(path: path, reason: GGUFStorage.errnoText()) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw GGUFError.writeFailed(path: path, reason: GGUFStorage.errnoText())
            }
            p += n
            left -= n
        }
    }

    func close() throws {
        let rc = systemClose(fd)
        fd = -1
        guard rc == 0 else { throw GGUFError.writeFailed(path: path, reason: GGUFStorage.errnoText()) }
    }

    func abandon() {
        if fd >= 0 { _ = systemClose(fd); fd = -1 }
        unlink(path)
    }

    deinit { if fd >= 0 { _ = systemClose(fd) } }
}

extension [UInt8] {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ s: String) {
        let utf8 = Array(s.utf8)
        appendLE(UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    mutating func appendValue(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): appendLE(x)
        case .int8(let x): appendLE(x)
        case .uint16(let x): appendLE(x)
        case .int16(let x): appendLE(x)
        case .uint32(let x): appendLE(x)
        case .int32(let x): appendLE(x)
        case .uint64(let x): appendLE(x)
        case .int64(let x): appendLE(x)
        case .float32(let x): appendLE(x.bitPattern)
        case .float64(let x): appendLE(x.bitPattern)
        case .bool(let x): append(x ? 1 : 0)
        case .string(let s): appendString(s)
        case .array(let items):
            // An empty array has no element to take a type from; u8 is as good as any.
            appendLE(items.first?.typeCode ?? 0)
            appendLE(UInt64(items.count))
            for item in items { appendValue(item) }
        }
    }
}
