#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a GGUF image field by field; every read is bounds-checked and every count is checked
/// against the bytes that remain before anything is allocated for it.
struct GGUFParser {
    struct Parsed {
        var version: UInt32
        var metadata: [String: GGUFValue]
        var metadataKeys: [String]
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataSectionOffset: Int
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    var remaining: Int { bytes.count - offset }

    // Smallest encodings, used to bound counts before allocating: a key/value pair is a key
    // length, a type code and at least one value byte; a tensor info is a name length, a
    // dimension count, one dimension, a type and an offset.
    private static let minimumPairSize = 8 + 4 + 1
    private static let minimumTensorInfoSize = 8 + 4 + 8 + 4 + 8

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Parsed {
        var p = GGUFParser(bytes: bytes)
        let magic = try p.load(UInt32.self, "magic")
        guard magic == GGUFFormat.magic else { throw GGUFError.badMagic(found: magic, offset: 0) }
        let version = try p.load(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version, offset: 4) }

        let tensorCountOffset = p.offset
        let tensorCount = try p.load(UInt64.self, "tensor count")
        let pairCountOffset = p.offset
        let pairCount = try p.load(UInt64.self, "metadata key/value count")
        guard pairCount <= UInt64(p.remaining / minimumPairSize) else {
            throw GGUFError.countTooLarge(what: "metadata key/value count", count: pairCount,
                                          offset: pairCountOffset, remaining: p.remaining)
        }
        guard tensorCount <= UInt64(p.remaining / minimumTensorInfoSize) else {
            throw GGUFError.countTooLarge(what: "tensor count", count: tensorCount,
                                          offset: tensorCountOffset, remaining: p.remaining)
        }

        // Metadata.
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        var valueOffsets: [String: Int] = [:]
        metadata.reserveCapacity(Int(pairCount))
        keys.reserveCapacity(Int(pairCount))
        for _ in 0..<Int(pairCount) {
            let keyOffset = p.offset
            let key = try p.string("metadata key")
            guard metadata[key] == nil else { throw GGUFError.duplicateKey(key, offset: keyOffset) }
            let typeOffset = p.offset
            let type = try p.load(UInt32.self, "value type of '\(key)'")
            let value = try p.value(type: type, typeOffset: typeOffset, key: key, depth: 0)
            metadata[key] = value
            keys.append(key)
            valueOffsets[key] = typeOffset
        }

        var alignment = GGUFFormat.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0, a <= GGUFFormat.maxAlignment else {
                throw GGUFError.invalidAlignment("\(value) (\(value.typeName))",
                                                 offset: valueOffsets["general.alignment"] ?? 0)
            }
            alignment = a
        }

        // Tensor infos.
        struct Pending {
            var info: GGUFTensorInfo
            var rawOffset: UInt64
            var infoOffset: Int
        }
        var pending: [Pending] = []
        pending.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        names.reserveCapacity(Int(tensorCount))
        for _ in 0..<Int(tensorCount) {
            let infoOffset = p.offset
            let name = try p.string("tensor name")
            guard names.insert(name).inserted else { throw GGUFError.duplicateTensor(name, offset: infoOffset) }
            let dimsOffset = p.offset
            let dimCount = try p.load(UInt32.self, "dimension count of tensor '\(name)'")
            guard dimCount >= 1, dimCount <= UInt32(GGUFFormat.maxDimensions) else {
                throw GGUFError.badDimensionCount(tensor: name, count: dimCount, offset: dimsOffset)
            }
            var raw: [UInt64] = []
            raw.reserveCapacity(Int(dimCount))
            for _ in 0..<Int(dimCount) { raw.append(try p.load(UInt64.self, "dimension of tensor '\(name)'")) }
            let typeOffset = p.offset
            let typeCode = try p.load(UInt32.self, "type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeCode) else {
                throw GGUFError.unknownTensorType(typeCode, tensor: name, offset: typeOffset)
            }
            let rawOffset = try p.load(UInt64.self, "data offset of tensor '\(name)'")

            var shape: [Int] = []
            shape.reserveCapacity(raw.count)
            var elements = 1
            for d in raw {
                guard d >= 1, d <= UInt64(Int.max) else {
                    throw GGUFError.invalidShape(tensor: name, shape: raw, offset: dimsOffset)
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow else { throw GGUFError.invalidShape(tensor: name, shape: raw, offset: dimsOffset) }
                elements = product
                shape.append(Int(d))
            }
            guard shape[0] % type.blockSize == 0 else {
                throw GGUFError.notBlockAligned(tensor: name, firstDimension: shape[0], type: type, offset: dimsOffset)
            }
            guard let byteCount = type.byteCount(forElements: elements) else {
                throw GGUFError.invalidShape(tensor: name, shape: raw, offset: dimsOffset)
            }
            let info = GGUFTensorInfo(name: name, shape: shape, type: type, offset: 0, byteCount: byteCount)
            pending.append(Pending(info: info, rawOffset: rawOffset, infoOffset: infoOffset))
        }

        // Data section: starts at the next multiple of the alignment after the header.
        let headerEnd = p.offset
        let dataStart = (headerEnd + alignment - 1) / alignment * alignment
        let dataSize = max(0, bytes.count - dataStart)
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for t in pending {
            guard t.rawOffset % UInt64(alignment) == 0 else {
                throw GGUFError.misalignedTensor(tensor: t.info.name, dataOffset: t.rawOffset,
                                                 alignment: alignment, offset: t.infoOffset)
            }
            guard t.rawOffset <= UInt64(dataSize), UInt64(t.info.byteCount) <= UInt64(dataSize) - t.rawOffset else {
                throw GGUFError.tensorOutOfBounds(tensor: t.info.name, dataOffset: t.rawOffset,
                                                  byteCount: t.info.byteCount, dataSectionSize: dataSize,
                                                  offset: t.infoOffset)
            }
            tensors.append(GGUFTensorInfo(name: t.info.name, shape: t.info.shape, type: t.info.type,
                                          offset: Int(t.rawOffset), byteCount: t.info.byteCount))
        }
        let byStart = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw GGUFError.tensorsOverlap(a.name, b.name, dataOffset: b.offset)
        }

        return Parsed(version: version, metadata: metadata, metadataKeys: keys, tensors: tensors,
                      alignment: alignment, dataSectionOffset: dataStart)
    }

    // MARK: - Fields

    /// Fails with `.truncated` unless `n` more bytes are available.
    private func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n <= remaining else {
            throw GGUFError.truncated(what: what(), offset: offset, needed: n, available: remaining)
        }
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    /// A length-prefixed UTF-8 string.
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try load(UInt64.self, "length of \(what())")
        guard length <= UInt64(remaining) else {
            throw GGUFError.countTooLarge(what: "length of \(what())", count: length, offset: start, remaining: remaining)
        }
        let n = Int(length)
        let body = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]).assumingMemoryBound(to: UInt8.self)
        // Decoding repairs invalid UTF-8 with U+FFFD, so the bytes survive unchanged exactly when
        // they were valid. (Cheaper than the generic `String(validating:as:)` on 300k vocab strings.)
        var s = String(decoding: body, as: UTF8.self)
        let unchanged = s.withUTF8 { utf8 in
            utf8.count == n && (n == 0 || memcmp(utf8.baseAddress!, body.baseAddress!, n) == 0)
        }
        guard unchanged else {
            throw GGUFError.invalidUTF8(what: what(), offset: start)
        }
        offset += n
        return s
    }

    /// Bytes the smallest value of this type occupies, or nil for an unknown type code.
    private static func minimumSize(ofType type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12: return 8
        case 8: return 8           // length prefix of an empty string
        case 9: return 12          // element type + count of an empty array
        default: return nil
        }
    }

    mutating func value(type: UInt32, typeOffset: Int, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try load(UInt8.self, "u8 value of '\(key)'"))
        case 1: return .int8(try load(Int8.self, "i8 value of '\(key)'"))
        case 2: return .uint16(try load(UInt16.self, "u16 value of '\(key)'"))
        case 3: return .int16(try load(Int16.self, "i16 value of '\(key)'"))
        case 4: return .uint32(try load(UInt32.self, "u32 value of '\(key)'"))
        case 5: return .int32(try load(Int32.self, "i32 value of '\(key)'"))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self, "f32 value of '\(key)'")))
        case 7: return .bool(try load(UInt8.self, "bool value of '\(key)'") != 0)
        case 8: return .string(try string("string value of '\(key)'"))
        case 10: return .uint64(try load(UInt64.self, "u64 value of '\(key)'"))
        case 11: return .int64(try load(Int64.self, "i64 value of '\(key)'"))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self, "f64 value of '\(key)'")))
        case 9:
            guard depth < GGUFFormat.maxArrayNesting else { throw GGUFError.nestingTooDeep(key: key, offset: typeOffset) }
            let elementTypeOffset = offset
            let elementType = try load(UInt32.self, "element type of array '\(key)'")
            guard let minimum = GGUFParser.minimumSize(ofType: elementType) else {
                throw GGUFError.unknownValueType(elementType, key: key, offset: elementTypeOffset)
            }
            let countOffset = offset
            let count = try load(UInt64.self, "element count of array '\(key)'")
            guard count <= UInt64(remaining / minimum) else {
                throw GGUFError.countTooLarge(what: "element count of array '\(key)'", count: count,
                                              offset: countOffset, remaining: remaining)
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                items.append(try value(type: elementType, typeOffset: elementTypeOffset, key: key, depth: depth + 1))
            }
            return .array(items)
        default:
            throw GGUFError.unknownValueType(type, key: key, offset: typeOffset)
        }
    }
}
