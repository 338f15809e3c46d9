/// Expands `count` elements of `type` from `src` into `dst`, exactly per ggml's block layouts.
///
/// Supports F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K and Q6_K. `count` must be a
/// multiple of the block size; `src` must hold at least the bytes those blocks take and `dst` at
/// least `count` floats.
public func dequantize(_ type: GGMLType, _ src: UnsafeRawBufferPointer, count: Int,
                       into dst: UnsafeMutableBufferPointer<Float>) throws {
    guard type.canDequantize else { throw GGUFError.unsupportedType(type, operation: "dequantize") }
    guard count >= 0, count % type.blockSize == 0, let needed = type.byteCount(forElements: count) else {
        throw GGUFError.sizeMismatch(what: "element count to dequantize (a multiple of \(type.name)'s block size \(type.blockSize))",
                                     expected: (max(count, 0) / type.blockSize) * type.blockSize, actual: count)
    }
    guard src.count >= needed else {
        throw GGUFError.sizeMismatch(what: "\(type.name) source bytes for \(count) elements", expected: needed, actual: src.count)
    }
    guard dst.count >= count else {
        throw GGUFError.sizeMismatch(what: "destination floats", expected: count, actual: dst.count)
    }
    guard count > 0, let s = src.baseAddress, let y = dst.baseAddress else { return }
    let blocks = count / type.blockSize
    let size = type.bytesPerBlock
    switch type {
    case .f32:
        for i in 0..<count { y[i] = Float(bitPattern: UInt32(littleEndian: s.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
    case .f16:
        for i in 0..<count { y[i] = HalfFloat.float(fromBits: s.u16(2 * i)) }
    case .bf16:
        for i in 0..<count { y[i] = HalfFloat.float(fromBF16Bits: s.u16(2 * i)) }
    case .q4_0:
        for b in 0..<blocks { Blocks.q4_0(s + b * size, y + b * 32) }
    case .q4_1:
        for b in 0..<blocks { Blocks.q4_1(s + b * size, y + b * 32) }
    case .q5_0:
        for b in 0..<blocks { Blocks.q5_0(s + b * size, y + b * 32) }
    case .q5_1:
        for b in 0..<blocks { Blocks.q5_1(s + b * size, y + b * 32) }
    case .q8_0:
        for b in 0..<blocks { Blocks.q8_0(s + b * size, y + b * 32) }
    case .q4_K:
        for b in 0..<blocks { Blocks.q4_K(s + b * size, y + b * 256) }
    case .q5_K:
        for b in 0..<blocks { Blocks.q5_K(s + b * size, y + b * 256) }
    case .q6_K:
        for b in 0..<blocks { Blocks.q6_K(s + b * size, y + b * 256) }
    default:
        throw GGUFError.unsupportedType(type, operation: "dequantize")
    }
}

extension UnsafeRawPointer {
    @inline(__always) func u8(_ i: Int) -> UInt8 { load(fromByteOffset: i, as: UInt8.self) }
    @inline(__always) func u16(_ i: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: i, as: UInt16.self)) }
    @inline(__always) func u32(_ i: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
    @inline(__always) func f16(_ i: Int) -> Float { HalfFloat.float(fromBits: u16(i)) }
}

/// One-block kernels; `x` points at the block's bytes, `y` at its outputs.
private enum Blocks {
    // Legacy 32-element blocks: low nibbles are elements 0–15, high nibbles 16–31.

    @inline(__always) static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0)
        for j in 0..<16 {
            let q = x.u8(2 + j)
            y[j] = Float(Int32(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int32(q >> 4) - 8) * d
        }
    }

    @inline(__always) static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0), m = x.f16(2)
        for j in 0..<16 {
            let q = x.u8(4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    @inline(__always) static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0)
        let qh = x.u32(2)
        for j in 0..<16 {
            let q = UInt32(x.u8(6 + j))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10            // fifth bit of element j
            let h1 = (qh >> UInt32(j + 12)) & 0x10               // fifth bit of element j + 16
            y[j] = Float(Int32(bitPattern: (q & 0x0F) | h0) - 16) * d
            y[j + 16] = Float(Int32(bitPattern: (q >> 4) | h1) - 16) * d
        }
    }

    @inline(__always) static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0), m = x.f16(2)
        let qh = x.u32(4)
        for j in 0..<16 {
            let q = UInt32(x.u8(8 + j))
            let h0 = ((qh >> UInt32(j)) << 4) & 0x10
            let h1 = (qh >> UInt32(j + 12)) & 0x10
            y[j] = Float((q & 0x0F) | h0) * d + m
            y[j + 16] = Float((q >> 4) | h1) * d + m
        }
    }

    @inline(__always) static func q8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: x.u8(2 + j))) * d }
    }

    // K-quants: 256-element super-blocks of 8 sub-blocks of 32.

    /// The 6-bit scale and min of sub-block `j` from the 12 packed bytes at `q`.
    @inline(__always) static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (Float, Float) {
        if j < 4 {
            return (Float(q.u8(j) & 63), Float(q.u8(j + 4) & 63))
        }
        let sc = (q.u8(j + 4) & 0x0F) | ((q.u8(j - 4) >> 6) << 4)
        let m = (q.u8(j + 4) >> 4) | ((q.u8(j) >> 6) << 4)
        return (Float(sc), Float(m))
    }

    @inline(__always) static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0), dmin = x.f16(2)
        let scales = x + 4
        let qs = x + 16
        for pair in 0..<4 {                       // 64 outputs: low nibbles, then high nibbles of 32 bytes
            let (sc1, m1) = scaleMin(2 * pair, scales)
            let (sc2, m2) = scaleMin(2 * pair + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1
            let d2 = d * sc2, min2 = dmin * m2
            let q = qs + 32 * pair
            let out = y + 64 * pair
            for l in 0..<32 {
                let v = q.u8(l)
                out[l] = d1 * Float(v & 0x0F) - min1
                out[l + 32] = d2 * Float(v >> 4) - min2
            }
        }
    }

    @inline(__always) static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(0), dmin = x.f16(2)
        let scales = x + 4
        let qh = x + 16
        let qs = x + 48
        for pair in 0..<4 {
            let (sc1, m1) = scaleMin(2 * pair, scales)
            let (sc2, m2) = scaleMin(2 * pair + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1
            let d2 = d * sc2, min2 = dmin * m2
            let low = UInt8(1) << (2 * pair), high = UInt8(2) << (2 * pair)   // this pair's bits in qh
            let q = qs + 32 * pair
            let out = y + 64 * pair
            for l in 0..<32 {
                let v = q.u8(l), h = qh.u8(l)
                out[l] = d1 * Float((v & 0x0F) + (h & low != 0 ? 16 : 0)) - min1
                out[l + 32] = d2 * Float((v >> 4) + (h & high != 0 ? 16 : 0)) - min2
            }
        }
    }

    @inline(__always) static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = x.f16(208)
        for half in 0..<2 {                       // two halves of 128 outputs
            let ql = x + 64 * half
            let qh = x + 128 + 32 * half
            let sc = x + 192 + 8 * half
            let out = y + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let h = qh.u8(l)
                let a = ql.u8(l), b = ql.u8(l + 32)
                let q1 = Int32((a & 0x0F) | ((h & 3) << 4)) - 32
                let q2 = Int32((b & 0x0F) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int32((a >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int32((b >> 4) | (((h >> 6) & 3) << 4)) - 32
                out[l] = d * Float(Int8(bitPattern: sc.u8(s))) * Float(q1)
                out[l + 32] = d * Float(Int8(bitPattern: sc.u8(s + 2))) * Float(q2)
                out[l + 64] = d * Float(Int8(bitPattern: sc.u8(s + 4))) * Float(q3)
                out[l + 96] = d * Float(Int8(bitPattern: sc.u8(s + 6))) * Float(q4)
            }
        }
    }
}

extension GGUFFile {
    /// The tensor's elements as `Float`s, in storage order (`shape[0]` fastest).
    public func dequantized(_ tensor: GGUFTensorInfo) throws -> [Float] {
        let count = tensor.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try withData(of: tensor) { try dequantize(tensor.type, $0, count: count, into: buffer) }
            initialized = count
        }
    }
}
