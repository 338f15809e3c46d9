/// A rule on the bytes a model may generate, checked token by token.
///
/// `allows` answers whether appending a token's bytes keeps the output completable; it must leave the
/// constraint's observable state unchanged (it is `mutating` only so implementations may cache).
public protocol DecodingConstraint {
    /// Whether the output can still be completed validly after appending `tokenBytes`.
    mutating func allows(_ tokenBytes: [UInt8]) -> Bool
    /// Appends the bytes of the chosen token; throws if they break the constraint.
    mutating func accept(_ tokenBytes: [UInt8]) throws
    /// Whether the output so far is a complete valid document (so generation may stop here).
    var isComplete: Bool { get }
}

/// Errors raised by constraints.
public enum ConstraintError: Error, CustomStringConvertible, Equatable {
    /// The schema text is not JSON, or uses something this subset does not support.
    case invalidSchema(String)
    /// `accept` was given bytes the constraint does not allow; `offset` is the byte position in the output.
    case rejected(offset: Int, byte: UInt8)

    public var description: String {
        switch self {
        case .invalidSchema(let why):
            return "JSON schema: \(why)"
        case .rejected(let offset, let byte):
            return "constrained output: byte 0x\(String(byte, radix: 16)) at offset \(offset) breaks the schema"
        }
    }
}

/// Computes which vocabulary entries a constraint allows next, for the sampler's mask.
///
/// Tokens are grouped by first byte, and a group is skipped at once when its first byte alone is refused;
/// tokens with no bytes are never allowed; end-of-generation tokens are allowed exactly when the
/// constraint is complete.
public struct ConstraintMasker: Sendable {
    private let tokenBytes: [[UInt8]]
    private let byFirstByte: [[Int32]]
    private let endOfGeneration: [Int32]

    public init(tokenBytes: [[UInt8]], endOfGeneration: [Int32]) {
        self.tokenBytes = tokenBytes
        self.endOfGeneration = endOfGeneration
        let eog = Set(endOfGeneration)
        var groups = [[Int32]](repeating: [], count: 256)
        for (id, bytes) in tokenBytes.enumerated() where !bytes.isEmpty && !eog.contains(Int32(id)) {
            groups[Int(bytes[0])].append(Int32(id))
        }
        byFirstByte = groups
    }

    /// Builds the masker for a tokenizer's vocabulary: control tokens other than end-of-generation are excluded.
    public init(tokenizer: Tokenizer) {
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokenizer.vocabularySize)
        var eog: [Int32] = []
        for id in 0..<Int32(tokenizer.vocabularySize) {
            if tokenizer.isEndOfGeneration(id) { eog.append(id) }
            bytes.append(tokenizer.kind(id) == .normal ? tokenizer.tokenBytes(id) : [])
        }
        self.init(tokenBytes: bytes, endOfGeneration: eog)
    }

    /// `mask[id]` is true when the constraint allows token `id` next.
    public func mask<C: DecodingConstraint>(_ constraint: inout C) -> [Bool] {
        var mask = [Bool](repeating: false, count: tokenBytes.count)
        for b in 0..<256 where !byFirstByte[b].isEmpty {
            guard constraint.allows([UInt8(b)]) else { continue }
            for id in byFirstByte[b] where constraint.allows(tokenBytes[Int(id)]) { mask[Int(id)] = true }
        }
        if constraint.isComplete { for id in endOfGeneration where Int(id) < mask.count { mask[Int(id)] = true } }
        return mask
    }

    /// Whether one token is allowed (for lazy checks during greedy or top-k sampling).
    public func allows<C: DecodingConstraint>(_ id: Int32, _ constraint: inout C) -> Bool {
        guard id >= 0, Int(id) < tokenBytes.count else { return false }
        if endOfGeneration.contains(id) { return constraint.isComplete }
        let bytes = tokenBytes[Int(id)]
        return !bytes.isEmpty && constraint.allows(bytes)
    }
}
