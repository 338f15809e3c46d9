import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The numeric kernels of the forward pass: AVX2 (C, `CKernels`) where the CPU has it, plain
/// Swift loops otherwise. Both paths compute the same quantities in the same order per block.
struct Kernels: Sendable {
    /// Whether this CPU can run the AVX2/FMA/F16C kernels.
    static let cpuHasAVX2: Bool = ck_has_avx2() != 0

    /// True to use the AVX2 kernels.
    let simd: Bool

    init(portable: Bool) { simd = !portable && Kernels.cpuHasAVX2 }

    /// Quantizes `n` floats (a multiple of 32) per 32-block: d = amax/127 (rounded through fp16),
    /// q = round-half-even(x·127/amax), as llama.cpp quantizes activations for Q8_0 dot products.
    func quantize(_ x: UnsafePointer<Float>, _ n: Int, _ q: UnsafeMutablePointer<Int8>,
                  _ d: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if simd { ck_quantize_q8(x, n, q, d); return }
        #endif
        for b in 0..<n / 32 {
            var amax: Float = 0
            for i in 0..<32 { amax = max(amax, abs(x[b * 32 + i])) }
            d[b] = halfToFloat(floatToHalf(amax / 127))
            let id: Float = amax != 0 ? 127 / amax : 0
            for i in 0..<32 {
                q[b * 32 + i] = Int8((x[b * 32 + i] * id).rounded(.toNearestOrEven))
            }
        }
    }

    /// y[t·ldy + r] = Σ_blocks d_w·d_x·Σ(w·x) for Q8_0 rows [r0, r1) and `nt` quantized inputs.
    func gemmQ8(_ w: UnsafeRawPointer, rowBytes: Int, rows: Range<Int>, blocks nb: Int,
                _ q: UnsafePointer<Int8>, _ d: UnsafePointer<Float>, tokens nt: Int,
                _ y: UnsafeMutablePointer<Float>, ldy: Int) {
        if rows.isEmpty { return }
        #if arch(x86_64)
        if simd {
            ck_gemm_q8_0(w.assumingMemoryBound(to: UInt8.self), rowBytes, rows.lowerBound,
                         rows.upperBound, nb, q, d, nt, y, ldy)
            return
        }
        #endif
        for t in 0..<nt {
            let qt = q + t * nb * 32, dt = d + t * nb
            for r in rows {
                let row = w + r * rowBytes
                var sum: Float = 0
                for b in 0..<nb {
                    let blk = row + b * 34
                    let wq = (blk + 2).assumingMemoryBound(to: Int8.self)
                    let xq = qt + b * 32
                    var s: Int32 = 0
                    for i in 0..<32 { s &+= Int32(wq[i]) &* Int32(xq[i]) }
                    sum += Float(s) * (halfToFloat(blk.loadUnaligned(as: UInt16.self)) * dt[b])
                }
                y[t * ldy + r] = sum
            }
        }
    }

    /// y[t·ldy + r] = W[r]·x_t for F32 rows [r0, r1) of length n.
    func gemmF32(_ w: UnsafePointer<Float>, rows: Range<Int>, cols n: Int, _ x: UnsafePointer<Float>,
                 tokens nt: Int, _ y: UnsafeMutablePointer<Float>, ldy: Int) {
        if rows.isEmpty { return }
        #if arch(x86_64)
        if simd {
            ck_gemm_f32(w, rows.lowerBound, rows.upperBound, n, x, nt, y, ldy)
            return
        }
        #endif
        for t in 0..<nt {
            for r in rows {
                var s: Float = 0
                for i in 0..<n { s += w[r * n + i] * x[t * n + i] }
                y[t * ldy + r] = s
            }
        }
    }

    /// out[j] = scale·(q·k_j) for the `n` fp16 key vectors `stride` apart.
    func attentionScores(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, stride: Int,
                         count n: Int, headDim hd: Int, scale: Float, _ out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if simd { ck_attn_scores(q, k, stride, n, hd, scale, out); return }
        #endif
        for j in 0..<n {
            var s: Float = 0
            for i in 0..<hd { s += q[i] * halfToFloat(k[j * stride + i]) }
            out[j] = s * scale
        }
    }

    /// out[i] += Σ_j p_j·v_j[i] for the `n` fp16 value vectors `stride` apart.
    func attentionAccumulate(_ p: UnsafePointer<Float>, _ v: UnsafePointer<UInt16>, stride: Int,
                             count n: Int, headDim hd: Int, _ out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if simd { ck_attn_accumulate(p, v, stride, n, hd, out); return }
        #endif
        for j in 0..<n {
            let pj = p[j]
            for i in 0..<hd { out[i] += pj * halfToFloat(v[j * stride + i]) }
        }
    }

    /// Attention of one fp16 query over `n` fp16 keys/values with ggml's flash-attention scheme:
    /// online softmax, values accumulated in fp16, normalized at the end.
    func attentionOnline(_ q: UnsafePointer<UInt16>, _ k: UnsafePointer<UInt16>, _ v: UnsafePointer<UInt16>,
                         stride: Int, count n: Int, headDim hd: Int, scale: Float,
                         scratch acc: UnsafeMutablePointer<UInt16>, _ out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if simd { ck_attn_online(q, k, v, stride, n, hd, scale, acc, out); return }
        #endif
        var m = -Float.infinity, sum: Float = 0
        acc.initialize(repeating: 0, count: hd)
        for j in 0..<n {
            let kj = k + j * stride, vj = v + j * stride
            var s: Float = 0
            for i in 0..<hd { s += halfToFloat(q[i]) * halfToFloat(kj[i]) }
            s *= scale
            var ms: Float = 1, vs: Float = 1
            if s > m {
                let old = m
                m = s
                ms = expf(old - m)
                for i in 0..<hd { acc[i] = floatToHalf(halfToFloat(acc[i]) * ms) }
            } else {
                vs = expf(s - m)
            }
            for i in 0..<hd { acc[i] = floatToHalf(halfToFloat(acc[i]).addingProduct(halfToFloat(vj[i]), vs)) }
            sum = sum * ms + vs
        }
        let inv: Float = sum > 0 ? 1 / sum : 0
        for i in 0..<hd { out[i] = halfToFloat(acc[i]) * inv }
    }

    /// y = silu(g)·u elementwise; on AVX2 with ggml's vectorized exp so SwiGLU outputs are
    /// bit-identical to llama.cpp's.
    func swiglu(_ g: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        #if arch(x86_64)
        if simd { ck_swiglu(g, u, y, n); return }
        #endif
        for i in 0..<n { y[i] = g[i] / (1 + expf(-g[i])) * u[i] }
    }

    /// Attention of one f32 query over `n` fp16 keys/values in llama.cpp's tiled flash-attention
    /// order (64-key tiles, per-tile max, f32 accumulation, normalized at the end). `p` is
    /// scratch for 64 floats.
    func attentionTiled(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, _ v: UnsafePointer<UInt16>,
                        stride: Int, count n: Int, headDim hd: Int, scale: Float,
                        scratch p: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        #if arch(x86_64)
        if simd { ck_attn_tiled(q, k, v, stride, n, hd, scale, p, out); return }
        #endif
        var m = -Float.infinity, sum: Float = 0
        out.initialize(repeating: 0, count: hd)
        var t0 = 0
        while t0 < n {
            let kt = min(64, n - t0)
            var tileMax = -Float.infinity
            for j in 0..<kt {
                let kj = k + (t0 + j) * stride
                var s: Float = 0
                for i in 0..<hd { s = s.addingProduct(halfToFloat(kj[i]), q[i]) }
                p[j] = s * scale
                tileMax = max(tileMax, p[j])
            }
            let mNew = max(m, tileMax)
            if mNew > m {
                let ms = expf(m - mNew)
                for i in 0..<hd { out[i] *= ms }
                sum *= ms
            }
            m = mNew
            var tileSum: Double = 0
            for j in 0..<kt { p[j] = expf(p[j] - mNew); tileSum += Double(p[j]) }
            sum = Float(Double(sum) + tileSum)
            for j in 0..<kt {
                let vj = v + (t0 + j) * stride
                for i in 0..<hd { out[i] = out[i].addingProduct(halfToFloat(vj[i]), p[j]) }
            }
            t0 += kt
        }
        let inv: Float = sum == 0 ? 0 : 1 / sum
        for i in 0..<hd { out[i] *= inv }
    }

    /// Converts floats to fp16 bits.
    func toHalf(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<UInt16>, count n: Int) {
        #if arch(x86_64)
        if simd { ck_f32_to_f16(x, y, n); return }
        #endif
        for i in 0..<n { y[i] = floatToHalf(x[i]) }
    }
}
