#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Platform

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
    /// A value identifying the constraint's current state, when equal states allow the same tokens
    /// (lets `ConstraintMasker` reuse masks); nil disables caching.
    var maskCacheKey: AnyHashable? { get }
    /// True when any printable ASCII text without `"` or `\\` is allowed next (e.g. inside a free JSON
    /// string), so the masker can skip checking such tokens one by one.
    var allowsAnyPlainText: Bool { get }
}

extension DecodingConstraint {
    public var maskCacheKey: AnyHashable? { nil }
    public var allowsAnyPlainText: Bool { false }
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
    /// Tokens made only of printable ASCII other than `"` and `\\`.
    private let plainText: [Bool]
    private let cache = MaskCache()

    public init(tokenBytes: [[UInt8]], endOfGeneration: [Int32]) {
        self.tokenBytes = tokenBytes
        self.endOfGeneration = endOfGeneration
        let eog = Set(endOfGeneration)
        var groups = [[Int32]](repeating: [], count: 256)
        for (id, bytes) in tokenBytes.enumerated() where !bytes.isEmpty && !eog.contains(Int32(id)) {
            groups[Int(bytes[0])].append(Int32(id))
        }
        byFirstByte = groups
        plainText = tokenBytes.map { !$0.isEmpty && $0.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } }
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
        computeMask(&constraint)
    }

    private func computeMask<C: DecodingConstraint>(_ constraint: inout C) -> [Bool] {
        let key = constraint.maskCacheKey
        if let key, let hit = cache.lookup(key) { return hit }
        var mask = [Bool](repeating: false, count: tokenBytes.count)
        let plainOK = constraint.allowsAnyPlainText
        for b in 0..<256 where !byFirstByte[b].isEmpty {
            guard constraint.allows([UInt8(b)]) else { continue }
            for id in byFirstByte[b] {
                if plainOK, plainText[Int(id)] { mask[Int(id)] = true; continue }
                if constraint.allows(tokenBytes[Int(id)]) { mask[Int(id)] = true }
            }
        }
        if constraint.isComplete { for id in endOfGeneration where Int(id) < mask.count { mask[Int(id)] = true } }
        if let key { cache.store(key, mask) }
        return mask
    }

    /// `mask` for the JSON-schema constraint (a concrete entry point so the loop is specialised).
    public func mask(_ constraint: inout JSONSchemaConstraint) -> [Bool] {
        computeMask(&constraint)
    }

    /// Whether one token is allowed (for lazy checks during greedy or top-k sampling).
    public func allows<C: DecodingConstraint>(_ id: Int32, _ constraint: inout C) -> Bool {
        guard id >= 0, Int(id) < tokenBytes.count else { return false }
        if endOfGeneration.contains(id) { return constraint.isComplete }
        let bytes = tokenBytes[Int(id)]
        return !bytes.isEmpty && constraint.allows(bytes)
    }
}

/// Recently computed masks by constraint state (small, thread-safe, cleared when full).
final class MaskCache: @unchecked Sendable {
    private var entries: [AnyHashable: [Bool]] = [:]
    private let lock = Lock()
    private let limit = 64

    func lookup(_ key: AnyHashable) -> [Bool]? {
        lock.lock(); defer { lock.unlock() }
        return entries[key]
    }

    func store(_ key: AnyHashable, _ mask: [Bool]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[key] = mask
    }
}
