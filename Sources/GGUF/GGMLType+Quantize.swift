/// Quantizes `src` to Q8_0 blocks in `dst`, bit-identical to ggml's reference `quantize_row_q8_0`.
///
/// Per block of 32: d = max|x| / 127 stored as f16 (nearest, ties to even), q = round(x · (1/d))
/// with halves rounded away from zero. `src.count` must be a multiple of 32 and `dst` must hold
/// `src.count / 32 · 34` bytes; other sizes are a programming error and trap.
public func quantizeQ8_0(_ src: UnsafeBufferPointer<Float>, into dst: UnsafeMutableRawBufferPointer) {
    let blocks = src.count / 32
    guard src.count % 32 == 0, dst.count >= blocks * 34 else {
        fatalError("quantizeQ8_0: \(src.count) floats (need a multiple of 32) into \(dst.count) bytes (need \(blocks * 34))")
    }
    guard blocks > 0, let x = src.baseAddress, let out = dst.baseAddress else { return }
    for b in 0..<blocks {
        let v = x + 32 * b
        let o = out + 34 * b
        var amax: Float = 0
        for j in 0..<32 { amax = Swift.max(amax, abs(v[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        o.storeBytes(of: HalfFloat.bits(from: d).littleEndian, toByteOffset: 0, as: UInt16.self)
        for j in 0..<32 {
            let r = (v[j] * id).rounded(.toNearestOrAwayFromZero)
            // Non-finite input (NaN, ±inf) has no meaningful code; store 0 rather than trap.
            let q: Int8 = r.isFinite ? Int8(Swift.max(-128, Swift.min(127, r))) : 0
            o.storeBytes(of: UInt8(bitPattern: q), toByteOffset: 2 + j, as: UInt8.self)
        }
    }
}
