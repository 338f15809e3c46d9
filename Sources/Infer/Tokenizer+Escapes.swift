extension Tokenizer {
    /// Applies the escape processing llama.cpp's tools apply to prompts by default: `\n`, `\r`, `\t`,
    /// `\'`, `\"`, `\\` and `\xHH`; any other backslash pair is kept as written.
    ///
    /// Quirk kept for parity: `\xHH` is only decoded when at least one byte follows it.
    public static func processEscapes(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        let n = input.count
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < n {
            let b = input[i]
            guard b == 0x5C, i + 1 < n else { out.append(b); i += 1; continue }
            i += 1
            let c = input[i]
            switch c {
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x27, 0x22, 0x5C: out.append(c)
            case 0x78 where i + 2 < n:
                if let h = hex(input[i + 1]), let l = hex(input[i + 2]) {
                    out.append(h << 4 | l)
                    i += 2
                } else {
                    out.append(0x5C); out.append(c)
                }
            default:
                out.append(0x5C); out.append(c)
            }
            i += 1
        }
        return out
    }

    /// Formats ids as `llama-tokenize --ids` prints them: `[1, 2, 3]`.
    public static func formatIDs(_ ids: [Int32]) -> String {
        "[" + ids.map(String.init).joined(separator: ", ") + "]"
    }
}
