#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which positions of a forward pass need logits.
public enum LogitsRequest: Sendable {
    /// Only the last token's (generation, prompt processing).
    case last
    /// Every token's, concatenated position by position (checks against references).
    case all
}

/// The mutable side of inference: activation buffers, the KV cache and the worker threads.
///
/// One state belongs to one conversation at a time; buffers are allocated once in `init` (the KV
/// cache for the whole context, which costs memory only as positions are used).
public final class RunState {
    /// The model this state runs.
    public let model: Model
    /// Most tokens the KV cache holds.
    public let contextLimit: Int
    /// Tokens currently in the KV cache (positions `0..<cachedCount`).
    public private(set) var cachedCount = 0
    /// Worker threads, the caller included.
    public var threadCount: Int { pool.count }

    /// Tokens processed per chunk of a long prompt.
    let batchLimit: Int
    let kernels: Kernels
    let pool: ThreadPool

    // Activations, batchLimit rows each.
    let x, xb, q, k, v, att, hb, hb2: UnsafeMutablePointer<Float>
    // Quantized copy of the current matmul input (int8 values + one scale per 32-block).
    let xq: UnsafeMutablePointer<Int8>
    let xd: UnsafeMutablePointer<Float>
    // Rotary cos/sin per chunk position and frequency.
    let ropeCos, ropeSin: UnsafeMutablePointer<Float>
    // Per-worker attention scratch: scores over the context; the fp16 query, then the fp16 value
    // accumulator.
    let scores: UnsafeMutablePointer<Float>
    let qHalf: UnsafeMutablePointer<UInt16>
    /// Attention numerics of the current micro-batch (see `forward`).
    var attentionInF32 = false

    /// llama.cpp splits a batch into micro-batches of this many tokens...
    static let microBatch = 512
    /// ...and computes attention in f32 for micro-batches of at least this many queries (its tiled
    /// flash attention), in fp16 otherwise. Following it keeps greedy outputs token-identical.
    static let tiledAttentionMinimum = 64
    // KV cache: [layer][position][kvDim] fp16, as llama.cpp keeps it by default.
    let keyCache, valueCache: UnsafeMutablePointer<UInt16>

    /// Creates a state for `model` holding up to `contextLength` tokens (default: the model's
    /// training context), computing with `threads` threads.
    ///
    /// - Parameter portableKernels: use the plain Swift kernels even where AVX2 is available.
    public init(model: Model, contextLength: Int? = nil, threads: Int = 2, batchSize: Int = 64,
                portableKernels: Bool = false) throws {
        let c = model.config
        let limit = contextLength ?? c.contextLength
        guard limit > 0 else { throw InferError.contextOverflow(needed: 1, limit: limit) }
        self.model = model
        contextLimit = limit
        batchLimit = max(1, batchSize)
        kernels = Kernels(portable: portableKernels)
        pool = ThreadPool(threads: threads)
        let b = batchLimit, d = c.embeddingLength, kv = c.kvDimension, ff = c.feedForwardLength
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            p.initialize(repeating: 0, count: max(n, 1))
            return p
        }
        x = floats(b * d); xb = floats(b * d); q = floats(b * d); att = floats(b * d)
        k = floats(b * kv); v = floats(b * kv)
        hb = floats(b * ff); hb2 = floats(b * ff)
        let widest = max(d, ff)
        xq = .allocate(capacity: b * widest)
        xd = floats(b * widest / 32 + 1)
        let half = c.headDimension / 2
        ropeCos = floats(b * half); ropeSin = floats(b * half)
        scores = floats(pool.count * max(limit, 64))
        qHalf = .allocate(capacity: 2 * pool.count * c.headDimension)
        // Not initialized: positions are written before they are read, so untouched pages of a
        // long context never become resident.
        keyCache = .allocate(capacity: c.layerCount * limit * kv)
        valueCache = .allocate(capacity: c.layerCount * limit * kv)
    }

    deinit {
        for p in [x, xb, q, k, v, att, hb, hb2, xd, ropeCos, ropeSin, scores] { p.deallocate() }
        xq.deallocate(); qHalf.deallocate(); keyCache.deallocate(); valueCache.deallocate()
    }

    /// Forgets the cached tokens after the first `count` (a later forward continues from there).
    public func truncate(to count: Int) {
        cachedCount = max(0, min(count, cachedCount))
    }

    /// Runs `tokens` at positions `startPosition...` and returns their logits.
    ///
    /// `startPosition` may be at most `cachedCount`: earlier positions' cache entries are reused and
    /// anything after `startPosition` is overwritten. Returns `vocabularySize` logits for `.last`,
    /// `tokens.count × vocabularySize` for `.all`.
    public func forward(tokens: [Int32], startPosition: Int, logits request: LogitsRequest = .last) throws -> [Float] {
        let c = model.config
        guard !tokens.isEmpty else { throw InferError.emptyInput }
        guard startPosition >= 0, startPosition <= cachedCount else {
            throw InferError.invalidPosition(startPosition, cached: cachedCount)
        }
        guard startPosition + tokens.count <= contextLimit else {
            throw InferError.contextOverflow(needed: startPosition + tokens.count, limit: contextLimit)
        }
        for t in tokens where t < 0 || Int(t) >= c.vocabularySize {
            throw InferError.invalidToken(t, vocabularySize: c.vocabularySize)
        }
        let vocab = c.vocabularySize
        let outputRows = request == .all ? tokens.count : 1
        var result = [Float](repeating: 0, count: outputRows * vocab)
        cachedCount = startPosition
        var done = 0
        while done < tokens.count {
            let microStart = done / Self.microBatch * Self.microBatch
            let n = min(batchLimit, tokens.count - done, microStart + Self.microBatch - done)
            attentionInF32 = min(Self.microBatch, tokens.count - microStart) >= Self.tiledAttentionMinimum
            let last = done + n == tokens.count
            tokens.withUnsafeBufferPointer { buf in
                runChunk(Array(buf[done..<done + n]), position: startPosition + done)
            }
            result.withUnsafeMutableBufferPointer { out in
                switch request {
                case .all:
                    computeLogits(rows: 0..<n, into: out.baseAddress! + done * vocab)
                case .last:
                    if last { computeLogits(rows: n - 1..<n, into: out.baseAddress!) }
                }
            }
            done += n
            cachedCount = startPosition + done
        }
        return result
    }
}
