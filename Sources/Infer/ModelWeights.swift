import GGUF

/// A weight matrix used as y = W·x, `rows` outputs by `cols` inputs (GGUF shape `[cols, rows]`).
struct WeightMatrix: @unchecked Sendable {
    enum Storage {
        /// Rows of `cols/32` Q8_0 blocks (fp16 scale + 32 int8), in the file's memory.
        case q8_0(UnsafeRawPointer)
        /// Row-major floats, in the file's memory or in a buffer `ModelWeights` owns.
        case f32(UnsafePointer<Float>)
    }

    let name: String
    let rows: Int
    let cols: Int
    let storage: Storage

    /// Bytes between consecutive Q8_0 rows.
    var q8RowBytes: Int { cols / 32 * 34 }
    var isQuantized: Bool { if case .q8_0 = storage { return true } else { return false } }
}

/// The token embedding table, kept in its file type; rows are dequantized on lookup.
struct EmbeddingTable: @unchecked Sendable {
    let type: GGMLType
    let rows: Int
    let cols: Int
    let base: UnsafeRawPointer

    /// Writes row `token` as floats into `out` (`cols` of them).
    func row(_ token: Int, into out: UnsafeMutablePointer<Float>) {
        let n = cols
        switch type {
        case .f32:
            out.update(from: (base + token * n * 4).assumingMemoryBound(to: Float.self), count: n)
        case .f16:
            let p = (base + token * n * 2).assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { out[i] = halfToFloat(p[i]) }
        case .bf16:
            let p = (base + token * n * 2).assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(p[i]) << 16) }
        default: // .q8_0, checked at load
            let rowBytes = n / 32 * 34
            let p = base + token * rowBytes
            for b in 0..<n / 32 {
                let blk = p + b * 34
                let d = halfToFloat(blk.loadUnaligned(as: UInt16.self))
                let q = (blk + 2).assumingMemoryBound(to: Int8.self)
                for i in 0..<32 { out[b * 32 + i] = d * Float(q[i]) }
            }
        }
    }
}

/// The weights of one transformer block. Shapes are given as rows × cols of y = W·x.
struct LayerWeights: @unchecked Sendable {
    /// RMSNorm gain before attention, `[d]`.
    var attentionNorm: [Float]
    /// Query projection, d × d, with bias `[d]`.
    var query: WeightMatrix
    var queryBias: [Float]
    /// Key projection, kvDim × d, with bias `[kvDim]`.
    var key: WeightMatrix
    var keyBias: [Float]
    /// Value projection, kvDim × d, with bias `[kvDim]`.
    var value: WeightMatrix
    var valueBias: [Float]
    /// Attention output projection, d × d (no bias in Qwen2).
    var output: WeightMatrix
    /// RMSNorm gain before the feed-forward, `[d]`.
    var ffnNorm: [Float]
    /// SwiGLU gate and up projections, ff × d; down projection d × ff.
    var gate: WeightMatrix
    var up: WeightMatrix
    var down: WeightMatrix
}

/// All weights of a Qwen2 model, pointing into the GGUF file's memory where the type allows.
final class ModelWeights: @unchecked Sendable {
    let file: GGUFFile
    let embedding: EmbeddingTable
    let layers: [LayerWeights]
    /// Final RMSNorm gain, `[d]`.
    let outputNorm: [Float]
    /// Vocabulary projection, vocab × d: `output.weight`, or the token embedding when the file
    /// ties them (no `output.weight`).
    let output: WeightMatrix
    /// Buffers for F16/BF16 matrices widened to F32 at load (tiny test models only in practice).
    private var owned: [UnsafeMutablePointer<Float>] = []

    init(file: GGUFFile, config c: ModelConfig) throws {
        self.file = file
        let d = c.embeddingLength, kv = c.kvDimension, ff = c.feedForwardLength
        var owned: [UnsafeMutablePointer<Float>] = []

        guard let embd = file.tensor(named: "token_embd.weight") else {
            throw InferError.missingTensor(name: "token_embd.weight")
        }
        try Self.checkShape(embd, [d, c.vocabularySize])
        switch embd.type {
        case .f32, .f16, .bf16, .q8_0: break
        default: throw InferError.unsupportedTensorType(tensor: embd.name, type: embd.type.name)
        }
        embedding = EmbeddingTable(type: embd.type, rows: c.vocabularySize, cols: d,
                                   base: Self.address(file, embd))

        func vector(_ name: String, _ n: Int) throws -> [Float] {
            guard let t = file.tensor(named: name) else { throw InferError.missingTensor(name: name) }
            try Self.checkShape(t, [n])
            return try Self.floats(file, t)
        }
        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            guard let t = file.tensor(named: name) else { throw InferError.missingTensor(name: name) }
            try Self.checkShape(t, [cols, rows])
            let base = Self.address(file, t)
            switch t.type {
            case .q8_0:
                return WeightMatrix(name: name, rows: rows, cols: cols, storage: .q8_0(base))
            case .f32:
                return WeightMatrix(name: name, rows: rows, cols: cols,
                                    storage: .f32(base.assumingMemoryBound(to: Float.self)))
            case .f16, .bf16:
                let values = try Self.floats(file, t)
                let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
                p.initialize(from: values, count: values.count)
                owned.append(p)
                return WeightMatrix(name: name, rows: rows, cols: cols, storage: .f32(UnsafePointer(p)))
            default:
                throw InferError.unsupportedTensorType(tensor: name, type: t.type.name)
            }
        }

        var layers: [LayerWeights] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            // Qwen2 quirk: q/k/v projections carry biases, the attention output does not.
            layers.append(LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", d),
                query: try matrix(p + "attn_q.weight", rows: d, cols: d),
                queryBias: try vector(p + "attn_q.bias", d),
                key: try matrix(p + "attn_k.weight", rows: kv, cols: d),
                keyBias: try vector(p + "attn_k.bias", kv),
                value: try matrix(p + "attn_v.weight", rows: kv, cols: d),
                valueBias: try vector(p + "attn_v.bias", kv),
                output: try matrix(p + "attn_output.weight", rows: d, cols: d),
                ffnNorm: try vector(p + "ffn_norm.weight", d),
                gate: try matrix(p + "ffn_gate.weight", rows: ff, cols: d),
                up: try matrix(p + "ffn_up.weight", rows: ff, cols: d),
                down: try matrix(p + "ffn_down.weight", rows: d, cols: ff)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", d)
        // Tied embeddings: small Qwen2 models reuse the token embedding as the output projection.
        if file.tensor(named: "output.weight") != nil {
            output = try matrix("output.weight", rows: c.vocabularySize, cols: d)
        } else {
            output = try matrix("token_embd.weight", rows: c.vocabularySize, cols: d)
        }
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }

    private static func checkShape(_ t: GGUFTensorInfo, _ expected: [Int]) throws {
        if t.shape != expected {
            throw InferError.wrongShape(tensor: t.name, expected: expected, actual: t.shape)
        }
    }

    /// The tensor's bytes; valid while `file` lives (its mapping or heap copy never moves).
    private static func address(_ file: GGUFFile, _ t: GGUFTensorInfo) -> UnsafeRawPointer {
        file.withData(of: t) { $0.baseAddress ?? UnsafeRawPointer(bitPattern: 64)! }
    }

    /// Any supported float/Q8_0 tensor as floats.
    private static func floats(_ file: GGUFFile, _ t: GGUFTensorInfo) throws -> [Float] {
        let n = t.elementCount
        switch t.type {
        case .f32, .f16, .bf16, .q8_0: break
        default: throw InferError.unsupportedTensorType(tensor: t.name, type: t.type.name)
        }
        let table = EmbeddingTable(type: t.type, rows: 1, cols: n, base: address(file, t))
        return [Float](unsafeUninitializedCapacity: n) { buf, count in
            table.row(0, into: buf.baseAddress!)
            count = n
        }
    }
}

/// IEEE half to float (exact), without relying on `Float16` being available.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int(h >> 10) & 0x1f
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * (1.0 / 16_777_216.0) // 2^-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (mant << 13))
}

/// Float to IEEE half bits, rounding to nearest even (portable path of the KV cache).
@inline(__always)
func floatToHalf(_ f: Float) -> UInt16 {
    let x = f.bitPattern
    let sign = UInt16((x >> 16) & 0x8000)
    let exp = Int((x >> 23) & 0xff)
    var mant = x & 0x7f_ffff
    if exp == 255 { return sign | 0x7c00 | (mant != 0 ? 0x200 : 0) }
    let e = exp - 127 + 15
    if e >= 31 { return sign | 0x7c00 }
    if e <= 0 {
        if e < -10 { return sign }
        mant |= 0x80_0000
        let shift = UInt32(14 - e)
        var h = mant >> shift
        let rem = mant & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
        if rem > half || (rem == half && (h & 1) != 0) { h += 1 }
        return sign | UInt16(h)
    }
    var h = UInt32(e) << 10 | (mant >> 13)
    let rem = mant & 0x1fff
    if rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0) { h += 1 }
    return sign | UInt16(truncatingIfNeeded: h)
}
