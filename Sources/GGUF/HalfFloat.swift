/// IEEE 754 half-precision and bfloat16 conversions, written out so they behave the same on every
/// platform (`Float16` is unavailable on some targets).
public enum HalfFloat {
    /// The `Float` a binary16 bit pattern encodes (exact; subnormals, infinities and NaNs kept).
    @inline(__always)
    public static func float(fromBits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The binary16 bit pattern nearest to `x` (round to nearest, ties to even; overflow gives infinity).
    public static func bits(from x: Float) -> UInt16 {
        let b = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: (b >> 16) & 0x8000)
        let exponent = Int((b >> 23) & 0xFF)
        var mantissa = b & 0x007F_FFFF
        if exponent == 0xFF {
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            // Result is subnormal (or zero): value in units of 2^-24 is mantissa' >> (14 - e).
            if e < -10 { return sign }
            mantissa |= 0x0080_0000
            let shift = UInt32(14 - e)
            var r = mantissa >> shift
            let rest = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if rest > halfway || (rest == halfway && r & 1 == 1) { r += 1 }
            return sign | UInt16(truncatingIfNeeded: r)
        }
        var r = UInt32(e) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && r & 1 == 1) { r += 1 }   // a carry into the exponent is correct
        return sign | UInt16(truncatingIfNeeded: r)
    }

    /// The `Float` a bfloat16 bit pattern encodes (the top half of a Float).
    @inline(__always)
    public static func float(fromBF16Bits h: UInt16) -> Float {
        Float(bitPattern: UInt32(h) << 16)
    }
}
