/// One metadata value as GGUF stores it, keeping its exact on-disk type.
///
/// Arrays hold values of a single type (the format stores one element type per array); arrays of
/// arrays are allowed. `indirect` is not needed: the recursion goes through `Array`'s heap buffer.
public enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The GGUF value-type code written before the value.
    public var typeCode: UInt32 {
        switch self {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    /// The type's name as errors print it (`u32`, `string`, `array`, ...).
    public var typeName: String { GGUFValue.typeName(code: typeCode) }

    static func typeName(code: UInt32) -> String {
        switch code {
        case 0: return "u8"
        case 1: return "i8"
        case 2: return "u16"
        case 3: return "i16"
        case 4: return "u32"
        case 5: return "i32"
        case 6: return "f32"
        case 7: return "bool"
        case 8: return "string"
        case 9: return "array"
        case 10: return "u64"
        case 11: return "i64"
        case 12: return "f64"
        default: return "type \(code)"
        }
    }

    /// The value as an `Int` when it is an integer of any width that fits.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Float` when it is a float or an integer.
    public var floatValue: Float? {
        switch self {
        case .float32(let v): return v
        case .float64(let v): return Float(v)
        case .uint8(let v): return Float(v)
        case .int8(let v): return Float(v)
        case .uint16(let v): return Float(v)
        case .int16(let v): return Float(v)
        case .uint32(let v): return Float(v)
        case .int32(let v): return Float(v)
        case .uint64(let v): return Float(v)
        case .int64(let v): return Float(v)
        default: return nil
        }
    }

    /// The string when the value is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements when the value is an array.
    public var arrayValue: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The value as a `Bool` when it is a bool.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var description: String {
        switch self {
        case .uint8(let v): return "\(v)"
        case .int8(let v): return "\(v)"
        case .uint16(let v): return "\(v)"
        case .int16(let v): return "\(v)"
        case .uint32(let v): return "\(v)"
        case .int32(let v): return "\(v)"
        case .uint64(let v): return "\(v)"
        case .int64(let v): return "\(v)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let s): return s.debugDescription
        case .array(let a):
            let head = a.prefix(8).map(\.description).joined(separator: ", ")
            return a.count > 8 ? "[\(head), … (\(a.count) items)]" : "[\(head)]"
        }
    }
}
