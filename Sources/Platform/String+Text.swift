extension StringProtocol {
    /// The text without leading and trailing tabs and Unicode space separators (what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` removes; newlines stay).
    public func trimmingWhitespace() -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isBlank($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !Self.isBlank($0) })!
        return String(scalars[first...last])
    }

    /// The text cut or padded with spaces on the right to `length` characters (Foundation's
    /// `padding(toLength:withPad: " ", startingAt: 0)`).
    public func padded(toLength length: Int) -> String {
        let n = count
        if n >= length { return String(prefix(length)) }
        return String(self) + String(repeating: " ", count: length - n)
    }

    private static func isBlank(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s.properties.generalCategory == .spaceSeparator
    }
}
