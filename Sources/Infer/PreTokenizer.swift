/// Splits text (as code points) into the words that BPE then encodes one at a time.
///
/// Only the Qwen2 pre-tokenizer is implemented; it follows the regex
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// written out by hand, with llama.cpp's reading of it: `\s` is llama.cpp's whitespace set (not Unicode's
/// White_Space: U+001C…U+001F are not in it), and each digit is its own word.
enum PreTokenizer: String, Sendable {
    case qwen2

    /// The `tokenizer.ggml.pre` values accepted, with the splitter each one uses.
    static let namesToKinds: [String: PreTokenizer] = [
        "qwen2": .qwen2, "deepseek-r1-qwen": .qwen2, "megrez": .qwen2, "stablelm2": .qwen2, "hunyuan": .qwen2,
    ]
    static var supportedNames: [String] { namesToKinds.keys.sorted() }

    /// Character classes the Qwen2 regex distinguishes.
    enum CharClass: UInt8 { case other = 0, letter = 1, number = 2, space = 3 }

    /// llama.cpp's whitespace set (`\s` in its pre-tokenizers).
    static let whitespace: Set<UInt32> = [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
        0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    static let asciiClasses: [CharClass] = (0..<128).map { v -> CharClass in
        if whitespace.contains(UInt32(v)) { return .space }
        if (0x30...0x39).contains(v) { return .number }
        if (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) { return .letter }
        return .other
    }

    @inline(__always)
    static func charClass(_ v: UInt32) -> CharClass {
        if v < 128 { return asciiClasses[Int(v)] }
        if whitespace.contains(v) { return .space }
        guard let s = Unicode.Scalar(v) else { return .other }   // surrogates, > U+10FFFF
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// Splits `scalars` into words, returned as index ranges in order, covering every code point.
    static func split(_ scalars: [UInt32], kind: PreTokenizer) -> [Range<Int>] {
        switch kind {
        case .qwen2: return splitQwen2(scalars)
        }
    }

    private static func splitQwen2(_ cps: [UInt32]) -> [Range<Int>] {
        let n = cps.count
        var classes = [CharClass](repeating: .other, count: n)
        for i in 0..<n { classes[i] = charClass(cps[i]) }
        var words: [Range<Int>] = []
        words.reserveCapacity(n / 3 + 1)
        let cr: UInt32 = 0x0D, lf: UInt32 = 0x0A, space: UInt32 = 0x20
        @inline(__always) func lower(_ v: UInt32) -> UInt32 { (0x41...0x5A).contains(v) ? v + 32 : v }
        @inline(__always) func cls(_ i: Int) -> CharClass? { i < n ? classes[i] : nil }

        var pos = 0
        while pos < n {
            let c = cps[pos]
            let k = classes[pos]

            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == 0x27, pos + 1 < n {
                let n1 = lower(cps[pos + 1])
                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {   // s t m d
                    words.append(pos..<pos + 2); pos += 2; continue
                }
                if pos + 2 < n {
                    let n2 = lower(cps[pos + 2])
                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                        words.append(pos..<pos + 3); pos += 3; continue
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(c == cr || c == lf || k == .number) {
                if k == .letter || cls(pos + 1) == .letter {
                    var end = pos + 1
                    while end < n, classes[end] == .letter { end += 1 }
                    words.append(pos..<end); pos = end; continue
                }
            }

            // \p{N}  (one digit per word)
            if k == .number {
                words.append(pos..<pos + 1); pos += 1; continue
            }

            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'  (a lone trailing space also lands here, as a word of its own)
            let k2: CharClass? = c == space ? cls(pos + 1) : k
            if k2 == nil || k2 == .other {
                var end = pos + (c == space ? 1 : 0)
                while end < n, classes[end] == .other { end += 1 }
                while end < n, cps[end] == cr || cps[end] == lf { end += 1 }
                words.append(pos..<end); pos = end; continue
            }

            // Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
            var runEnd = pos
            var lastLineBreakEnd = -1
            while runEnd < n, classes[runEnd] == .space {
                if cps[runEnd] == cr || cps[runEnd] == lf { lastLineBreakEnd = runEnd + 1 }
                runEnd += 1
            }
            let count = runEnd - pos
            if lastLineBreakEnd > 0 {
                words.append(pos..<lastLineBreakEnd); pos = lastLineBreakEnd; continue
            }
            if count > 1, runEnd < n {
                // Leave the last space to prefix the next word.
                words.append(pos..<runEnd - 1); pos = runEnd - 1; continue
            }
            if count > 0 {
                words.append(pos..<runEnd); pos = runEnd; continue
            }
            words.append(pos..<pos + 1); pos += 1
        }
        return words
    }
}
