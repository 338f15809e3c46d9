/// GPT-2's reversible byte ↔ Unicode mapping: every byte gets a printable code point so BPE vocabularies
/// can be stored as text. Printable Latin-1 bytes map to themselves; the other 68 bytes map, in order,
/// to U+0100 and up.
enum ByteLevel {
    /// Code point for each byte.
    static let scalarForByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// Byte for each mapped code point (index = code point, only 0..<324 used).
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 512)
        for (b, s) in scalarForByte.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// The raw bytes a byte-level token text stands for, or nil when it uses a code point outside the alphabet.
    static func bytes(ofTokenText text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for s in text.unicodeScalars {
            let v = Int(s.value)
            guard v < byteForScalar.count, byteForScalar[v] >= 0 else { return nil }
            out.append(UInt8(byteForScalar[v]))
        }
        return out
    }

    /// The byte-level text of raw bytes (inverse of `bytes(ofTokenText:)`).
    static func text(ofBytes bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(scalarForByte[Int(b)])!) }
        return String(s)
    }
}

/// UTF-8 decoding and encoding with llama.cpp's leniency, so byte-exact results match it on any input.
///
/// Decoding: a lead byte followed by the right number of continuation bytes decodes without range
/// checks (overlong forms and surrogates pass); anything else yields U+FFFD and advances one byte.
/// Encoding writes each value back with the shortest form; values above U+10FFFF (which llama.cpp
/// cannot re-encode) are written as U+FFFD.
enum LenientUTF8 {
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let end = bytes.endIndex
        @inline(__always) func cont(_ k: Int) -> Bool { k < end && bytes[k] & 0xC0 == 0x80 }
        while i < end {
            let b0 = bytes[i]
            if b0 & 0x80 == 0 {
                out.append(UInt32(b0)); i += 1
            } else if b0 & 0x40 == 0 {
                out.append(0xFFFD); i += 1
            } else if b0 & 0x20 == 0 {
                if cont(i + 1) {
                    out.append(UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)); i += 2
                } else {
                    out.append(0xFFFD); i += 1
                }
            } else if b0 & 0x10 == 0 {
                if cont(i + 1), cont(i + 2) {
                    out.append(UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F))
                    i += 3
                } else {
                    out.append(0xFFFD); i += 1
                }
            } else if b0 & 0x08 == 0 {
                if cont(i + 1), cont(i + 2), cont(i + 3) {
                    let v = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                        | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                    out.append(v); i += 4
                } else {
                    out.append(0xFFFD); i += 1
                }
            } else {
                out.append(0xFFFD); i += 1
            }
        }
        return out
    }

    @inline(__always)
    static func append(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(v >> 6)); out.append(0x80 | UInt8(v & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(v >> 12)); out.append(0x80 | UInt8((v >> 6) & 0x3F))
            out.append(0x80 | UInt8(v & 0x3F))
        case 0x10000...0x10FFFF:
            out.append(0xF0 | UInt8(v >> 18)); out.append(0x80 | UInt8((v >> 12) & 0x3F))
            out.append(0x80 | UInt8((v >> 6) & 0x3F)); out.append(0x80 | UInt8(v & 0x3F))
        default:
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])
        }
    }
}
