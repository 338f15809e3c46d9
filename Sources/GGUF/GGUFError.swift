/// Everything that can be wrong with a GGUF file or with a request made of one.
///
/// Cases that come from parsing carry the byte offset (from the start of the file) where the bad
/// field begins, and the key or tensor name when one is known.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, measured or mapped.
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(found: UInt32, offset: Int)
    /// Only versions 2 and 3 are read.
    case unsupportedVersion(UInt32, offset: Int)
    /// A field needs `needed` bytes at `offset` but only `available` remain.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// A count or length is larger than the rest of the file could possibly hold.
    case countTooLarge(what: String, count: UInt64, offset: Int, remaining: Int)
    /// The same metadata key appears twice.
    case duplicateKey(String, offset: Int)
    /// Two tensor infos share a name.
    case duplicateTensor(String, offset: Int)
    /// A value-type code outside 0...12.
    case unknownValueType(UInt32, key: String, offset: Int)
    /// A tensor-type code that is not a `GGMLType`.
    case unknownTensorType(UInt32, tensor: String, offset: Int)
    /// A string (key, value or tensor name) is not valid UTF-8.
    case invalidUTF8(what: String, offset: Int)
    /// Arrays nested deeper than the reader allows.
    case nestingTooDeep(key: String, offset: Int)
    /// `general.alignment` is not a positive power of two (or not an integer).
    case invalidAlignment(String, offset: Int)
    /// A tensor has more than 4 dimensions (or none).
    case badDimensionCount(tensor: String, count: UInt32, offset: Int)
    /// A dimension is zero, negative, or the element count overflows.
    case invalidShape(tensor: String, shape: [UInt64], offset: Int)
    /// The first dimension is not a multiple of the type's block size.
    case notBlockAligned(tensor: String, firstDimension: Int, type: GGMLType, offset: Int)
    /// A tensor's data offset is not a multiple of the file's alignment.
    case misalignedTensor(tensor: String, dataOffset: UInt64, alignment: Int, offset: Int)
    /// A tensor's data runs past the end of the file.
    case tensorOutOfBounds(tensor: String, dataOffset: UInt64, byteCount: Int, dataSectionSize: Int, offset: Int)
    /// Two tensors' data ranges overlap.
    case tensorsOverlap(String, String, dataOffset: Int)
    /// A metadata key the caller needs is absent.
    case missingKey(String)
    /// A metadata key holds a value of another type than the caller needs.
    case wrongType(key: String, expected: String, found: String)
    /// The operation does not support this tensor type.
    case unsupportedType(GGMLType, operation: String)
    /// Buffers handed to a kernel do not match the element count.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// The writer was given something it cannot encode.
    case invalidWrite(String)
    /// Writing the output file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open GGUF file \(path): \(reason)"
        case let .badMagic(found, offset):
            return "not a GGUF file: magic at offset \(offset) is 0x\(String(found, radix: 16)), expected 0x46554747 ('GGUF')"
        case let .unsupportedVersion(v, offset):
            return "unsupported GGUF version \(v) at offset \(offset) (versions 2 and 3 are supported)"
        case let .truncated(what, offset, needed, available):
            return "truncated GGUF file: \(what) at offset \(offset) needs \(needed) bytes, only \(available) remain"
        case let .countTooLarge(what, count, offset, remaining):
            return "implausible \(what) \(count) at offset \(offset): only \(remaining) bytes remain in the file"
        case let .duplicateKey(key, offset):
            return "duplicate metadata key '\(key)' at offset \(offset)"
        case let .duplicateTensor(name, offset):
            return "duplicate tensor name '\(name)' at offset \(offset)"
        case let .unknownValueType(code, key, offset):
            return "unknown metadata value type \(code) for key '\(key)' at offset \(offset)"
        case let .unknownTensorType(code, tensor, offset):
            return "unknown tensor type \(code) for tensor '\(tensor)' at offset \(offset)"
        case let .invalidUTF8(what, offset):
            return "\(what) at offset \(offset) is not valid UTF-8"
        case let .nestingTooDeep(key, offset):
            return "arrays nested too deeply in key '\(key)' at offset \(offset)"
        case let .invalidAlignment(value, offset):
            return "general.alignment \(value) at offset \(offset) is not a positive power of two"
        case let .badDimensionCount(tensor, count, offset):
            return "tensor '\(tensor)' at offset \(offset) has \(count) dimensions (1 to 4 allowed)"
        case let .invalidShape(tensor, shape, offset):
            return "tensor '\(tensor)' at offset \(offset) has invalid shape \(shape) (dimensions must be positive and the element count must fit)"
        case let .notBlockAligned(tensor, first, type, offset):
            return "tensor '\(tensor)' at offset \(offset): first dimension \(first) is not a multiple of \(type.name)'s block size \(type.blockSize)"
        case let .misalignedTensor(tensor, dataOffset, alignment, offset):
            return "tensor '\(tensor)' (info at offset \(offset)): data offset \(dataOffset) is not a multiple of the alignment \(alignment)"
        case let .tensorOutOfBounds(tensor, dataOffset, byteCount, size, offset):
            return "tensor '\(tensor)' (info at offset \(offset)): \(byteCount) bytes at data offset \(dataOffset) run past the data section of \(size) bytes"
        case let .tensorsOverlap(a, b, dataOffset):
            return "tensors '\(a)' and '\(b)' overlap at data offset \(dataOffset)"
        case let .missingKey(key):
            return "metadata key '\(key)' is missing"
        case let .wrongType(key, expected, found):
            return "metadata key '\(key)' holds \(found), expected \(expected)"
        case let .unsupportedType(type, operation):
            return "\(operation) does not support tensor type \(type.name)"
        case let .sizeMismatch(what, expected, actual):
            return "\(what): expected \(expected), got \(actual)"
        case let .invalidWrite(reason):
            return "cannot write GGUF: \(reason)"
        case let .writeFailed(path, reason):
            return "writing \(path) failed: \(reason)"
        }
    }
}
