import Foundation
import GGUF
import Infer

/// Tiny random Qwen2 models written with `GGUFWriter`, and an independent Float64 forward pass.
struct TinyModel {
    var layers = 2
    var width = 64
    var feedForward = 128
    var heads = 4
    var kvHeads = 2
    var vocab = 300
    var context = 128
    var ropeBase: Float = 10000
    var eps: Float = 1e-6
    var weightType: GGMLType = .f32
    var embeddingType: GGMLType = .f32
    var tied = false
    var seed: UInt64 = 1

    var headDim: Int { width / heads }
    var kvDim: Int { kvHeads * headDim }

    /// Tensors by name: shape (GGUF order) and the float values the file holds after quantization.
    var tensors: [(name: String, shape: [Int], type: GGMLType, values: [Float])] = []

    init(weightType: GGMLType = .f32, embeddingType: GGMLType = .f32, tied: Bool = false, seed: UInt64 = 1) {
        self.weightType = weightType
        self.embeddingType = embeddingType
        self.tied = tied
        self.seed = seed
        build()
    }

    private mutating func build() {
        var rng = SplitMix(seed: seed)
        func random(_ n: Int, scale: Float, offset: Float = 0) -> [Float] {
            (0..<n).map { _ in offset + scale * (Float(rng.next() % 2_000_001) / 1_000_000 - 1) }
        }
        var list: [(String, [Int], GGMLType, [Float])] = []
        func matrix(_ name: String, rows: Int, cols: Int, type: GGMLType) {
            let values = random(rows * cols, scale: 1.7 / Float(cols).squareRoot())
            list.append((name, [cols, rows], type, type == .q8_0 ? roundTripQ8(values) : values))
        }
        matrix("token_embd.weight", rows: vocab, cols: width, type: embeddingType)
        // Embedding rows need a larger scale so the residual stream is not tiny.
        list[0].3 = list[0].3.map { $0 * 4 }
        if embeddingType == .q8_0 { list[0].3 = roundTripQ8(list[0].3) }
        for l in 0..<layers {
            let p = "blk.\(l)."
            list.append((p + "attn_norm.weight", [width], .f32, random(width, scale: 0.2, offset: 1)))
            matrix(p + "attn_q.weight", rows: width, cols: width, type: weightType)
            list.append((p + "attn_q.bias", [width], .f32, random(width, scale: 0.3)))
            matrix(p + "attn_k.weight", rows: kvDim, cols: width, type: weightType)
            list.append((p + "attn_k.bias", [kvDim], .f32, random(kvDim, scale: 0.3)))
            matrix(p + "attn_v.weight", rows: kvDim, cols: width, type: weightType)
            list.append((p + "attn_v.bias", [kvDim], .f32, random(kvDim, scale: 0.3)))
            matrix(p + "attn_output.weight", rows: width, cols: width, type: weightType)
            list.append((p + "ffn_norm.weight", [width], .f32, random(width, scale: 0.2, offset: 1)))
            matrix(p + "ffn_gate.weight", rows: feedForward, cols: width, type: weightType)
            matrix(p + "ffn_up.weight", rows: feedForward, cols: width, type: weightType)
            matrix(p + "ffn_down.weight", rows: width, cols: feedForward, type: weightType)
        }
        list.append(("output_norm.weight", [width], .f32, random(width, scale: 0.2, offset: 1)))
        if !tied { matrix("output.weight", rows: vocab, cols: width, type: weightType) }
        tensors = list.map { (name: $0.0, shape: $0.1, type: $0.2, values: $0.3) }
    }

    func values(_ name: String) -> [Float] { tensors.first { $0.name == name }!.values }

    /// The GGUF image, optionally with metadata/tensors changed by `edit`.
    func writer(architecture: String = "qwen2", skip: Set<String> = [],
                reshape: [String: [Int]] = [:]) throws -> GGUFWriter {
        var w = GGUFWriter()
        w.set("general.architecture", .string(architecture))
        let a = architecture + "."
        w.set(a + "block_count", .uint32(UInt32(layers)))
        w.set(a + "embedding_length", .uint32(UInt32(width)))
        w.set(a + "feed_forward_length", .uint32(UInt32(feedForward)))
        w.set(a + "attention.head_count", .uint32(UInt32(heads)))
        w.set(a + "attention.head_count_kv", .uint32(UInt32(kvHeads)))
        w.set(a + "context_length", .uint32(UInt32(context)))
        w.set(a + "rope.freq_base", .float32(ropeBase))
        w.set(a + "attention.layer_norm_rms_epsilon", .float32(eps))
        for t in tensors where !skip.contains(t.name) {
            let shape = reshape[t.name] ?? t.shape
            let bytes = t.type == .q8_0 ? encodeQ8(t.values) : encodeF32(t.values)
            if shape != t.shape {
                // A consistent tensor of another shape: same type, resized data.
                let count = shape.reduce(1, *)
                let vals = [Float](repeating: 0.01, count: count)
                try w.addTensor(name: t.name, shape: shape, type: t.type,
                                data: t.type == .q8_0 ? encodeQ8(vals) : encodeF32(vals))
            } else {
                try w.addTensor(name: t.name, shape: shape, type: t.type, data: bytes)
            }
        }
        return w
    }

    func load() throws -> Model {
        try Model(file: GGUFFile(bytes: try writer().serialize()))
    }

    // MARK: - Reference forward pass (Float64, plain loops)

    /// Logits for every position of `tokens`, starting at position 0.
    func referenceLogits(_ tokens: [Int32]) -> [[Double]] {
        let d = width, hd = headDim, group = heads / kvHeads
        let embd = values("token_embd.weight").map(Double.init)
        func mat(_ name: String) -> [Double] { values(name).map(Double.init) }
        func matvec(_ w: [Double], _ x: [Double], rows: Int) -> [Double] {
            let cols = x.count
            return (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + w[r * cols + $1] * x[$1] } }
        }
        func rmsNorm(_ x: [Double], _ g: [Double]) -> [Double] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            let s = 1 / (ms + Double(eps)).squareRoot()
            return zip(x, g).map { $0 * s * $1 }
        }
        func rope(_ v: inout [Double], pos: Int, nHeads: Int) {
            for h in 0..<nHeads {
                for i in 0..<hd / 2 {
                    let theta = Double(pos) * pow(Double(ropeBase), -2 * Double(i) / Double(hd))
                    let a = v[h * hd + i], b = v[h * hd + i + hd / 2]
                    v[h * hd + i] = a * cos(theta) - b * sin(theta)
                    v[h * hd + i + hd / 2] = a * sin(theta) + b * cos(theta)
                }
            }
        }
        var keys = [[[Double]]](repeating: [], count: layers)
        var vals = [[[Double]]](repeating: [], count: layers)
        var result: [[Double]] = []
        for (pos, token) in tokens.enumerated() {
            var x = Array(embd[Int(token) * d..<(Int(token) + 1) * d])
            for l in 0..<layers {
                let p = "blk.\(l)."
                let xn = rmsNorm(x, mat(p + "attn_norm.weight"))
                var q = zip(matvec(mat(p + "attn_q.weight"), xn, rows: d), mat(p + "attn_q.bias")).map(+)
                var k = zip(matvec(mat(p + "attn_k.weight"), xn, rows: kvDim), mat(p + "attn_k.bias")).map(+)
                let v = zip(matvec(mat(p + "attn_v.weight"), xn, rows: kvDim), mat(p + "attn_v.bias")).map(+)
                rope(&q, pos: pos, nHeads: heads)
                rope(&k, pos: pos, nHeads: kvHeads)
                keys[l].append(k); vals[l].append(v)
                var out = [Double](repeating: 0, count: d)
                for h in 0..<heads {
                    let kh = (h / group) * hd
                    var s = (0...pos).map { j in
                        (0..<hd).reduce(0.0) { $0 + q[h * hd + $1] * keys[l][j][kh + $1] } / Double(hd).squareRoot()
                    }
                    let m = s.max()!
                    s = s.map { exp($0 - m) }
                    let sum = s.reduce(0, +)
                    for j in 0...pos { for i in 0..<hd { out[h * hd + i] += s[j] / sum * vals[l][j][kh + i] } }
                }
                x = zip(x, matvec(mat(p + "attn_output.weight"), out, rows: d)).map(+)
                let xn2 = rmsNorm(x, mat(p + "ffn_norm.weight"))
                let g = matvec(mat(p + "ffn_gate.weight"), xn2, rows: feedForward)
                let u = matvec(mat(p + "ffn_up.weight"), xn2, rows: feedForward)
                let hgl = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                x = zip(x, matvec(mat(p + "ffn_down.weight"), hgl, rows: d)).map(+)
            }
            let xn = rmsNorm(x, mat("output_norm.weight"))
            result.append(matvec(tied ? embd : mat("output.weight"), xn, rows: vocab))
        }
        return result
    }
}

/// A small deterministic generator (SplitMix64) so fixtures do not depend on the platform RNG.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func encodeF32(_ v: [Float]) -> [UInt8] {
    var out = [UInt8](); out.reserveCapacity(v.count * 4)
    for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    return out
}

/// Q8_0 blocks: fp16 scale d = amax/127, then 32 × round(x/d).
func encodeQ8(_ v: [Float]) -> [UInt8] {
    var out = [UInt8]()
    for b in 0..<v.count / 32 {
        let blk = v[b * 32..<(b + 1) * 32]
        let amax = blk.map(abs).max()!
        let d = amax / 127
        let h = Float16(d)
        withUnsafeBytes(of: h.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        let id: Float = d == 0 ? 0 : 1 / d
        for x in blk { out.append(UInt8(bitPattern: Int8((x * id).rounded()))) }
    }
    return out
}

/// The values a Q8_0 encoding of `v` decodes to.
func roundTripQ8(_ v: [Float]) -> [Float] {
    let bytes = encodeQ8(v)
    var out = [Float]()
    for b in 0..<v.count / 32 {
        let base = b * 34
        let d = Float(Float16(bitPattern: UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8))
        for i in 0..<32 { out.append(d * Float(Int8(bitPattern: bytes[base + 2 + i]))) }
    }
    return out
}

func cosine(_ a: [Float], _ b: [Double]) -> Double {
    var ab = 0.0, aa = 0.0, bb = 0.0
    for (x, y) in zip(a, b) { ab += Double(x) * y; aa += Double(x) * Double(x); bb += y * y }
    return ab / (aa.squareRoot() * bb.squareRoot())
}
