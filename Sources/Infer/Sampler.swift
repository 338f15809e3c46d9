#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the next token is picked from the logits.
public struct SamplerSettings: Sendable, Equatable {
    /// Softmax temperature; 0 (or less) picks the most likely token (greedy).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens (0 = no limit).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability sums to at least `topP` (1 = off).
    public var topP: Float
    /// Drop tokens less likely than `minP` × the most likely one (0 = off).
    public var minP: Float
    /// Repetition penalty over recent tokens (1 = off): positive logits are divided by it, negative ones multiplied.
    public var repeatPenalty: Float
    /// How many recent tokens the penalty looks at (0 = none, negative = all given).
    public var repeatLastN: Int
    /// Seed of the sampler's own random generator; equal seeds give equal choices.
    public var seed: UInt64

    /// llama.cpp's defaults for these knobs (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, penalty 1 over 64).
    public init(temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
                repeatPenalty: Float = 1.0, repeatLastN: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed
    }

    /// Always the most likely token.
    public static let greedy = SamplerSettings(temperature: 0, topK: 1, topP: 1, minP: 0)
}

/// Picks tokens from logits: repetition penalty, optional constraint mask, then greedy or
/// top-k → top-p → min-p → temperature → a draw from the sampler's own seeded generator.
public struct Sampler {
    public let settings: SamplerSettings
    private var rng: Xoshiro256

    public init(_ settings: SamplerSettings) {
        self.settings = settings
        self.rng = Xoshiro256(seed: settings.seed)
    }

    /// Chooses the next token. `logits` gets the repetition penalty applied in place; `recent` holds the
    /// tokens seen so far (the penalty looks at its tail); `allowed`, when given, rules tokens out (a
    /// constraint mask). Returns -1 only if no token is allowed.
    public mutating func sample(logits: inout [Float], recent: ArraySlice<Int32> = [],
                                allowed: ((Int32) -> Bool)? = nil) -> Int32 {
        applyRepeatPenalty(&logits, recent: recent)
        let candidates = Sampler.candidates(logits, limit: settings.temperature <= 0 ? 1 : settings.topK,
                                            allowed: allowed)
        guard let best = candidates.first else { return -1 }
        if settings.temperature <= 0 || candidates.count == 1 { return best.id }
        var kept = candidates
        // Top-p on the softmax of the kept logits.
        if settings.topP < 1 {
            let probs = Sampler.softmax(kept.map(\.logit))
            var sum: Float = 0
            var cut = kept.count
            for (i, p) in probs.enumerated() {
                sum += p
                if sum >= settings.topP { cut = i + 1; break }
            }
            kept.removeSubrange(cut...)
        }
        // Min-p relative to the most likely token.
        if settings.minP > 0 {
            let floor = kept[0].logit + log(settings.minP)
            var cut = 1
            while cut < kept.count, kept[cut].logit >= floor { cut += 1 }
            kept.removeSubrange(cut...)
        }
        let probs = Sampler.softmax(kept.map { $0.logit / settings.temperature })
        let u = rng.nextUnitFloat()
        var sum: Float = 0
        for (i, p) in probs.enumerated() {
            sum += p
            if u < sum { return kept[i].id }
        }
        return kept[kept.count - 1].id
    }

    /// Mask-array form: `mask[id] == false` rules a token out.
    public mutating func sample(logits: inout [Float], recent: ArraySlice<Int32>, mask: [Bool]) -> Int32 {
        sample(logits: &logits, recent: recent) { id in Int(id) < mask.count && mask[Int(id)] }
    }

    private func applyRepeatPenalty(_ logits: inout [Float], recent: ArraySlice<Int32>) {
        guard settings.repeatPenalty != 1, settings.repeatLastN != 0, !recent.isEmpty else { return }
        let window = settings.repeatLastN < 0 ? recent : recent.suffix(settings.repeatLastN)
        var seen = Set<Int32>()
        for id in window where id >= 0 && Int(id) < logits.count && seen.insert(id).inserted {
            let l = logits[Int(id)]
            logits[Int(id)] = l <= 0 ? l * settings.repeatPenalty : l / settings.repeatPenalty
        }
    }

    struct Candidate { var id: Int32; var logit: Float }

    /// The allowed tokens in descending logit order, at most `limit` of them (limit ≤ 0: all).
    /// NaN logits never win; the allowed check runs only on tokens that could still make the cut.
    static func candidates(_ logits: [Float], limit: Int, allowed: ((Int32) -> Bool)?) -> [Candidate] {
        var heap: [Candidate] = []
        heap.reserveCapacity(logits.count)
        for (i, l) in logits.enumerated() where !l.isNaN && l > -Float.infinity {
            heap.append(Candidate(id: Int32(i), logit: l))
        }
        // Max-heap by logit (ties: lower id first), popped lazily.
        @inline(__always) func above(_ a: Candidate, _ b: Candidate) -> Bool {
            a.logit != b.logit ? a.logit > b.logit : a.id < b.id
        }
        func siftDown(_ start: Int, _ n: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n, above(heap[l], heap[m]) { m = l }
                if r < n, above(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        var n = heap.count
        if n > 1 { for i in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(i, n) } }
        var out: [Candidate] = []
        let want = limit <= 0 ? Int.max : limit
        while n > 0, out.count < want {
            let top = heap[0]
            n -= 1
            heap.swapAt(0, n)
            siftDown(0, n)
            if let allowed, !allowed(top.id) { continue }
            out.append(top)
        }
        return out
    }

    static func softmax(_ x: [Float]) -> [Float] {
        guard let m = x.max() else { return [] }
        var e = x.map { exp($0 - m) }
        let s = e.reduce(0, +)
        for i in e.indices { e[i] /= s }
        return e
    }
}

/// xoshiro256** seeded through splitmix64: small, fast and the same on every platform.
struct Xoshiro256 {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }
}
