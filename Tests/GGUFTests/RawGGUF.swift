import GGUF

/// Builds GGUF bytes field by field, so tests can write files the writer never would.
struct RawGGUF {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) { rawString(Array(s.utf8)) }
    mutating func rawString(_ b: [UInt8]) { u64(UInt64(b.count)); bytes.append(contentsOf: b) }

    /// Magic, version and the two counts.
    mutating func header(version: UInt32 = 3, tensors: UInt64, pairs: UInt64) {
        u32(GGUFFormat.magic); u32(version); u64(tensors); u64(pairs)
    }

    mutating func pairU32(_ key: String, _ v: UInt32) { string(key); u32(4); u32(v) }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name); u32(UInt32(dims.count)); for d in dims { u64(d) }; u32(type); u64(offset)
    }

    /// Zero padding up to the next multiple of `alignment`.
    mutating func pad(_ alignment: Int = 32) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
}

/// A small valid model-like file exercising every value type, written by `GGUFWriter`.
func sampleWriter(alignment: Int = 32) throws -> GGUFWriter {
    var w = GGUFWriter()
    w.alignment = alignment
    w.set("general.architecture", .string("qwen2"))
    w.set("t.u8", .uint8(200))
    w.set("t.i8", .int8(-100))
    w.set("t.u16", .uint16(60000))
    w.set("t.i16", .int16(-30000))
    w.set("t.u32", .uint32(4_000_000_000))
    w.set("t.i32", .int32(-2_000_000_000))
    w.set("t.u64", .uint64(UInt64.max))
    w.set("t.i64", .int64(Int64.min))
    w.set("t.f32", .float32(1.5e-6))
    w.set("t.f64", .float64(-2.25e100))
    w.set("t.bool", .bool(true))
    w.set("t.string", .string("héllo ✓ <|im_end|>"))
    w.set("t.strings", .array([.string("a"), .string(""), .string("Ġthe")]))
    w.set("t.ints", .array([.int32(1), .int32(-2), .int32(3)]))
    w.set("t.floats", .array([.float32(0.5), .float32(-1)]))
    w.set("t.nested", .array([.array([.uint8(1), .uint8(2)]), .array([]), .array([.uint8(3)])]))
    w.set("t.empty", .array([]))
    let f32: [Float] = (0..<64).map { Float($0) * 0.25 - 3 }
    try w.addTensor(name: "a.f32", shape: [16, 4], type: .f32, data: f32.flatMap(leBytes))
    try w.addTensor(name: "b.f16", shape: [8], type: .f16,
                    data: (0..<8).flatMap { leBytes(HalfFloat.bits(from: Float($0) - 3.5)) })
    var q8 = [UInt8](repeating: 0, count: 2 * 34)
    f32.withUnsafeBufferPointer { src in
        q8.withUnsafeMutableBytes { quantizeQ8_0(UnsafeBufferPointer(rebasing: src[0..<64]), into: $0) }
    }
    try w.addTensor(name: "c.q8_0", shape: [32, 2], type: .q8_0, data: q8)
    try w.addTensor(name: "d.bf16", shape: [2, 1, 1, 3], type: .bf16,
                    data: (0..<6).flatMap { leBytes(UInt16(Float($0).bitPattern >> 16)) })
    return w
}

func leBytes(_ x: Float) -> [UInt8] { leBytes(x.bitPattern) }
func leBytes<T: FixedWidthInteger>(_ x: T) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }
