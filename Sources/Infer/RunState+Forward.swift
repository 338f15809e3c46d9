#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RunState {
    /// One matrix product of a batched matmul dispatch: `out[t·matrix.rows + r]`.
    struct Product {
        let matrix: WeightMatrix
        let out: UnsafeMutablePointer<Float>
    }

    /// Runs `products` (all with `cols` inputs) on the `nt` input rows at `input`, splitting every
    /// matrix's rows over the workers. Quantizes the input once when any matrix is Q8_0.
    func multiply(_ products: [Product], input: UnsafePointer<Float>, cols: Int, tokens nt: Int) {
        if products.contains(where: { $0.matrix.isQuantized }) {
            kernels.quantize(input, nt * cols, xq, xd)
        }
        let kernels = self.kernels
        let xq = UnsafePointer(self.xq), xd = UnsafePointer(self.xd)
        // Rows are cut into chunks that the threads claim one by one (see ThreadPool): small enough
        // that a descheduled thread holds up little, large enough that claiming costs nothing.
        let size = nt == 1 ? 64 : 32
        var firstChunk = [Int](), total = 0
        firstChunk.reserveCapacity(products.count)
        for p in products {
            firstChunk.append(total)
            total += (p.matrix.rows + size - 1) / size
        }
        pool.run(chunks: total) { _, chunk in
            var i = products.count - 1
            while firstChunk[i] > chunk { i -= 1 }
            let p = products[i], m = p.matrix
            let rows = ThreadPool.rows(of: chunk - firstChunk[i], size: size, total: m.rows)
            switch m.storage {
            case .q8_0(let w):
                kernels.gemmQ8(w, rowBytes: m.q8RowBytes, rows: rows, blocks: cols / 32,
                               xq, xd, tokens: nt, p.out, ldy: m.rows)
            case .f32(let w):
                kernels.gemmF32(w, rows: rows, cols: cols, input, tokens: nt, p.out, ldy: m.rows)
            }
        }
    }

    /// out[t] = x[t] / rms(x[t]) · gain, for `nt` rows of `n`.
    func rmsNorm(_ x: UnsafePointer<Float>, _ gain: [Float], _ out: UnsafeMutablePointer<Float>,
                 n: Int, tokens nt: Int) {
        let eps = model.config.rmsEpsilon
        gain.withUnsafeBufferPointer { g in
            for t in 0..<nt {
                let xt = x + t * n, ot = out + t * n
                var ss: Double = 0
                for i in 0..<n { ss += Double(xt[i] * xt[i]) }
                let scale = 1 / (Float(ss / Double(n)) + eps).squareRoot()
                for i in 0..<n { ot[i] = xt[i] * scale * g[i] }
            }
        }
    }

    /// Fills the rotary tables for chunk positions `position..<position+nt`: angle pos·base^(−2i/hd),
    /// computed by repeated multiplication in Float as ggml does.
    func fillRope(position: Int, tokens nt: Int) {
        let c = model.config, half = c.headDimension / 2
        let thetaScale = powf(c.ropeFreqBase, -2 / Float(c.headDimension))
        for t in 0..<nt {
            var theta = Float(position + t)
            for i in 0..<half {
                ropeCos[t * half + i] = cosf(theta)
                ropeSin[t * half + i] = sinf(theta)
                theta *= thetaScale
            }
        }
    }

    /// Rotates each head of `nt` rows of `heads` heads in NeoX layout (pairs are i and i + hd/2).
    func applyRope(_ x: UnsafeMutablePointer<Float>, heads: Int, tokens nt: Int) {
        let hd = model.config.headDimension, half = hd / 2
        for t in 0..<nt {
            let cs = ropeCos + t * half, sn = ropeSin + t * half
            for h in 0..<heads {
                let p = x + (t * heads + h) * hd
                for i in 0..<half {
                    let a = p[i], b = p[i + half]
                    // ggml's rotation as GCC contracts it: one product rounded, the other fused.
                    p[i] = (-(b * sn[i])).addingProduct(a, cs[i])
                    p[i + half] = (b * cs[i]).addingProduct(a, sn[i])
                }
            }
        }
    }

    /// Runs all layers over `tokens` at positions `position...`, leaving the final residual
    /// stream in `x` and the keys/values in the cache.
    func runChunk(_ tokens: [Int32], position: Int) {
        let c = model.config, w = model.weights
        let nt = tokens.count, d = c.embeddingLength, kv = c.kvDimension, ff = c.feedForwardLength
        for (t, token) in tokens.enumerated() { w.embedding.row(Int(token), into: x + t * d) }
        fillRope(position: position, tokens: nt)

        for (l, layer) in w.layers.enumerated() {
            // Attention block.
            rmsNorm(x, layer.attentionNorm, xb, n: d, tokens: nt)
            multiply([Product(matrix: layer.query, out: q), Product(matrix: layer.key, out: k),
                      Product(matrix: layer.value, out: v)], input: xb, cols: d, tokens: nt)
            // Qwen2 quirk: q, k and v projections have biases.
            addBias(q, layer.queryBias, tokens: nt)
            addBias(k, layer.keyBias, tokens: nt)
            addBias(v, layer.valueBias, tokens: nt)
            applyRope(q, heads: c.headCount, tokens: nt)
            applyRope(k, heads: c.headCountKV, tokens: nt)
            let layerBase = l * contextLimit * kv
            kernels.toHalf(k, keyCache + layerBase + position * kv, count: nt * kv)
            kernels.toHalf(v, valueCache + layerBase + position * kv, count: nt * kv)
            attention(layer: l, position: position, tokens: nt)
            // No bias on the attention output projection (Qwen2).
            multiply([Product(matrix: layer.output, out: xb)], input: att, cols: d, tokens: nt)
            for i in 0..<nt * d { x[i] += xb[i] }

            // SwiGLU feed-forward block.
            rmsNorm(x, layer.ffnNorm, xb, n: d, tokens: nt)
            multiply([Product(matrix: layer.gate, out: hb), Product(matrix: layer.up, out: hb2)],
                     input: xb, cols: d, tokens: nt)
            kernels.swiglu(hb, hb2, hb, count: nt * ff)
            multiply([Product(matrix: layer.down, out: xb)], input: hb, cols: ff, tokens: nt)
            for i in 0..<nt * d { x[i] += xb[i] }
        }
    }

    private func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: [Float], tokens nt: Int) {
        bias.withUnsafeBufferPointer { b in
            let n = b.count
            for t in 0..<nt { for i in 0..<n { y[t * n + i] += b[i] } }
        }
    }

    /// Causal grouped-query attention of the chunk's queries over the cache, into `att`.
    func attention(layer l: Int, position: Int, tokens nt: Int) {
        let c = model.config
        let hd = c.headDimension, heads = c.headCount, kv = c.kvDimension
        let group = heads / c.headCountKV
        let scale = 1 / Float(hd).squareRoot()
        let kBase = UnsafePointer(keyCache + l * contextLimit * kv)
        let vBase = UnsafePointer(valueCache + l * contextLimit * kv)
        let kernels = self.kernels, pool = self.pool
        let q = self.q, att = self.att, qHalf = self.qHalf
        let scores = self.scores, limit = max(contextLimit, 64), f32 = attentionInF32
        pool.run(chunks: nt * heads) { worker, pair in
            let qh = qHalf + worker * hd
            let acc = qHalf + (pool.count + worker) * hd
            let t = pair / heads, h = pair % heads
            let n = position + t + 1
            let kvOffset = (h / group) * hd
            let out = att + t * heads * hd + h * hd
            if f32 {
                // llama.cpp's tiled CPU flash attention (ubatches of 64+ queries): f32
                // queries, keys widened to f32, 64-key tiles with an online softmax.
                kernels.attentionTiled(q + t * heads * hd + h * hd, kBase + kvOffset, vBase + kvOffset,
                                       stride: kv, count: n, headDim: hd, scale: scale,
                                       scratch: scores + worker * limit, out)
            } else {
                // llama.cpp's one-query-at-a-time path: the query meets fp16 keys at fp16
                // precision and values are summed in fp16 with an online softmax.
                kernels.toHalf(q + t * heads * hd + h * hd, qh, count: hd)
                kernels.attentionOnline(qh, kBase + kvOffset, vBase + kvOffset, stride: kv, count: n,
                                        headDim: hd, scale: scale, scratch: acc, out)
            }
        }
    }

    /// Final norm and vocabulary projection of chunk rows `rows`, into `out` (row by row).
    func computeLogits(rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let c = model.config, d = c.embeddingLength
        let n = rows.count
        rmsNorm(x + rows.lowerBound * d, model.weights.outputNorm, xb, n: d, tokens: n)
        // Output rows are computed in groups that fit the quantization buffer.
        var done = 0
        while done < n {
            let m = min(batchLimit, n - done)
            multiply([Product(matrix: model.weights.output, out: out + done * c.vocabularySize)],
                     input: xb + done * d, cols: d, tokens: m)
            done += m
        }
    }
}
