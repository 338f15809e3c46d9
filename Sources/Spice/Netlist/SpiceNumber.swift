/// SPICE number syntax: a decimal literal, an optional scale suffix, and ignored trailing unit letters.
///
/// Suffixes (case-insensitive): `t` 1e12, `g` 1e9, `meg` 1e6, `k` 1e3, `mil` 25.4e-6, `m` 1e-3, `u` 1e-6,
/// `n` 1e-9, `p` 1e-12, `f` 1e-15. Letters after the suffix are units and ignored (`10uF`, `1megohm`,
/// `1.8V`), as ngspice does.
public enum SpiceNumber {
    /// The value of `text`, or nil when it is not a SPICE number.
    public static func parse(_ text: some StringProtocol) -> Double? {
        if let r = text.utf8.withContiguousStorageIfAvailable({ whole($0) }) { return r }
        return Array(text.utf8).withUnsafeBufferPointer { whole($0) }
    }

    private static func whole(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let (value, end) = scan(b, from: 0, allowMil: true), end == b.count else { return nil }
        return value
    }

    /// Scans a number at `start`; returns the value and the index after the number and its unit letters.
    ///
    /// `allowMil` is false inside expressions: ngspice's expression evaluator reads `5mil` as 5m.
    static func scan(_ b: UnsafeBufferPointer<UInt8>, from start: Int, allowMil: Bool) -> (Double, Int)? {
        var i = start
        let n = b.count
        var mantissaEnd = i
        if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < n, isDigit(b[i]) { i += 1; digits += 1 }
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, isDigit(b[i]) { i += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        mantissaEnd = i
        // Exponent only when digits follow, so `1e` stays "1 with unit e" rather than a broken number.
        if i < n, b[i] | 0x20 == UInt8(ascii: "e") {
            var j = i + 1
            if j < n, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-") { j += 1 }
            if j < n, isDigit(b[j]) {
                while j < n, isDigit(b[j]) { j += 1 }
                i = j; mantissaEnd = j
            }
        }
        guard let mantissa = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<mantissaEnd]), as: UTF8.self)) else { return nil }
        var scale = 1.0
        if i < n {
            let c = b[i] | 0x20
            func follows(_ s: String) -> Bool {
                var k = i
                for ch in s.utf8 { guard k < n, b[k] | 0x20 == ch else { return false }; k += 1 }
                return true
            }
            switch c {
            case UInt8(ascii: "t"): scale = 1e12
            case UInt8(ascii: "g"): scale = 1e9
            case UInt8(ascii: "k"): scale = 1e3
            case UInt8(ascii: "u"): scale = 1e-6
            case UInt8(ascii: "n"): scale = 1e-9
            case UInt8(ascii: "p"): scale = 1e-12
            case UInt8(ascii: "f"): scale = 1e-15
            case UInt8(ascii: "m"):
                if follows("meg") { scale = 1e6 } else if allowMil && follows("mil") { scale = 25.4e-6 } else { scale = 1e-3 }
            default: break
            }
        }
        while i < n, isLetter(b[i]) { i += 1 }
        return (mantissa * scale, i)
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { let l = c | 0x20; return l >= 97 && l <= 122 }
}
