/// Turns a stream of token ids into text pieces without ever splitting a UTF-8 character.
///
/// Bytes of an incomplete UTF-8 sequence at the end are held back until the next token completes them;
/// bytes that can never complete a character are emitted as U+FFFD.
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds a token and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        pending.append(contentsOf: tokenizer.tokenBytes(id))
        let cut = StreamingDecoder.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (an incomplete sequence decodes to U+FFFD) and resets.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a UTF-8 sequence that could still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back at most 3 bytes for the lead byte of a trailing incomplete sequence.
        var i = n - 1
        var continuations = 0
        while i >= 0, n - i <= 4 {
            let b = bytes[i]
            if b & 0xC0 == 0x80 {
                continuations += 1
                i -= 1
                continue
            }
            let need: Int
            if b & 0x80 == 0 { need = 1 }
            else if b & 0xE0 == 0xC0 { need = 2 }
            else if b & 0xF0 == 0xE0 { need = 3 }
            else if b & 0xF8 == 0xF0 { need = 4 }
            else { return n }             // not a lead byte: nothing to wait for
            return continuations + 1 < need ? i : n
        }
        return n
    }
}
