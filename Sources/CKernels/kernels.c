// AVX2 kernels for Infer; see include/kernels.h for why they are in C.
#include "kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include <math.h>

#define CK_AVX2 __attribute__((target("avx2,fma,f16c")))
#define CK_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

int ck_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
        && __builtin_cpu_supports("f16c");
}

CK_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_INLINE float hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_INLINE float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

// fp16·fp16 dot with ggml's accumulator layout: four 8-lane accumulators over 32-element steps,
// reduced pairwise (0+2, 1+3, then 0+1) and across lanes with two horizontal adds. Matching the
// order keeps scores bit-identical to llama.cpp's one-query attention.
CK_INLINE float dot_f16x4(const uint16_t *x, const uint16_t *y, long n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    long i = 0;
    for (; i + 32 <= n; i += 32) {
#define CK_F16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
        a0 = _mm256_fmadd_ps(CK_F16(y + i), CK_F16(x + i), a0);
        a1 = _mm256_fmadd_ps(CK_F16(y + i + 8), CK_F16(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(CK_F16(y + i + 16), CK_F16(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(CK_F16(y + i + 24), CK_F16(x + i + 24), a3);
#undef CK_F16
    }
    a0 = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(a0), _mm256_extractf128_ps(a0, 1));
    t = _mm_hadd_ps(t, t);
    double s = _mm_cvtss_f32(_mm_hadd_ps(t, t));
    for (; i < n; i++) s += (double)(f16_to_f32(x[i]) * f16_to_f32(y[i]));
    return (float)s;
}

// exp(x) for 8 lanes by the range reduction x = n·ln2 + b (n rounded with the 1.5·2^23 shift,
// ln2 split in two), a degree-5 polynomial for e^b − 1 and an exponent add; lanes with |n| > 126
// take a two-factor scale so results that over/underflow saturate correctly. Written to give the
// same bits as ggml's vectorized expf, which llama.cpp uses in SiLU and in its tiled softmax.
CK_INLINE __m256 vexp8(__m256 x) {
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);
    __m256 n = _mm256_sub_ps(z, shift);
    __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1.0f))));
    __m256 an = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    __m256 big = _mm256_cmp_ps(an, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
    __m256 u = _mm256_mul_ps(b, b);
    __m256 hi = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
    __m256 lo = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
    __m256 poly = _mm256_fmadd_ps(_mm256_fmadd_ps(hi, u, lo), u,
                                  _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    if (!_mm256_movemask_ps(big)) return _mm256_fmadd_ps(poly, k, k);
    __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                 _mm256_set1_epi32((int)0x82000000u));
    __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
    __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
    __m256 huge = _mm256_cmp_ps(an, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
    __m256 scaled = _mm256_mul_ps(_mm256_fmadd_ps(s2, poly, s2), s1);
    __m256 normal = _mm256_fmadd_ps(k, poly, k);
    __m256 mid = _mm256_or_ps(_mm256_and_ps(big, scaled), _mm256_andnot_ps(big, normal));
    return _mm256_or_ps(_mm256_and_ps(huge, _mm256_mul_ps(s1, s1)), _mm256_andnot_ps(huge, mid));
}

CK_AVX2 void ck_quantize_q8(const float *x, long n, int8_t *q, float *d) {
    const __m256 signBit = _mm256_set1_ps(-0.0f);
    for (long b = 0; b < n / 32; b++) {
        const float *xb = x + b * 32;
        __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
        __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
        __m256 m = _mm256_andnot_ps(signBit, v0);
        m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, v1));
        m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, v2));
        m = _mm256_max_ps(m, _mm256_andnot_ps(signBit, v3));
        float amax = hmax8(m);
        d[b] = _cvtsh_ss(_cvtss_sh(amax / 127.0f, 0));
        __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        // packs work per 128-bit lane; the permute puts the 32 bytes back in order.
        __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + b * 32), p);
    }
}

// Integer dot of one 32-block pair as 8 float lanes: |w|·(x·sign(w)) keeps maddubs' unsigned
// operand non-negative and its int16 pair sums below 2·127·127 (no saturation).
CK_INLINE __m256 block_dot(__m256i w, __m256i x) {
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

// One R-row × T-token tile: each weight block is loaded once for T tokens and each activation
// block once for R rows.
CK_INLINE void tile_q8(const uint8_t *w, long rowBytes, long r, long nb, const int8_t *q,
                       const float *d, long t, float *y, long ldy, const int R, const int T) {
    __m256 acc[4][8];
    for (int i = 0; i < R; i++) for (int j = 0; j < T; j++) acc[i][j] = _mm256_setzero_ps();
    for (long b = 0; b < nb; b++) {
        __m256i wv[4]; __m256 ws[4];
        for (int i = 0; i < R; i++) {
            const uint8_t *blk = w + (r + i) * rowBytes + b * 34;
            uint16_t h; memcpy(&h, blk, 2);
            ws[i] = _mm256_set1_ps(f16_to_f32(h));
            wv[i] = _mm256_loadu_si256((const __m256i *)(blk + 2));
        }
        for (int j = 0; j < T; j++) {
            __m256i xv = _mm256_loadu_si256((const __m256i *)(q + ((t + j) * nb + b) * 32));
            __m256 xs = _mm256_set1_ps(d[(t + j) * nb + b]);
            for (int i = 0; i < R; i++)
                acc[i][j] = _mm256_fmadd_ps(block_dot(wv[i], xv), _mm256_mul_ps(ws[i], xs), acc[i][j]);
        }
    }
    for (int i = 0; i < R; i++) for (int j = 0; j < T; j++) y[(t + j) * ldy + r + i] = hsum8(acc[i][j]);
}

CK_AVX2 void ck_gemm_q8_0(const uint8_t *w, long rowBytes, long r0, long r1, long nb,
                          const int8_t *q, const float *d, long nt, float *y, long ldy) {
    if (nt == 1) {
        // One row at a time, with the row about 4 KB ahead prefetched: interleaving several rows
        // halves the bandwidth reached here (measured 5.6 against 12 GB/s on one Zen 3 core).
        long ahead = (4096 + rowBytes - 1) / rowBytes;
        for (long r = r0; r < r1; r++) {
            if (r + ahead < r1) {
                const char *next = (const char *)(w + (r + ahead) * rowBytes);
                for (long o = 0; o < rowBytes; o += 64) _mm_prefetch(next + o, _MM_HINT_T0);
            }
            tile_q8(w, rowBytes, r, nb, q, d, 0, y, ldy, 1, 1);
        }
        return;
    }
    // Panels of 16 rows (about 15 KB for a 896-wide row) stay in L1/L2 while every token passes
    // over them, so each weight byte comes from memory once per batch.
    const long panel = 16;
    for (long p0 = r0; p0 < r1; p0 += panel) {
        long p1 = p0 + panel < r1 ? p0 + panel : r1;
        long t = 0;
        for (; t + 8 <= nt; t += 8)
            for (long r = p0; r < p1; r++) tile_q8(w, rowBytes, r, nb, q, d, t, y, ldy, 1, 8);
        for (; t + 4 <= nt; t += 4)
            for (long r = p0; r < p1; r++) tile_q8(w, rowBytes, r, nb, q, d, t, y, ldy, 1, 4);
        for (; t < nt; t++) {
            long r = p0;
            for (; r + 4 <= p1; r += 4) tile_q8(w, rowBytes, r, nb, q, d, t, y, ldy, 4, 1);
            for (; r < p1; r++) tile_q8(w, rowBytes, r, nb, q, d, t, y, ldy, 1, 1);
        }
    }
}

CK_AVX2 void ck_gemm_f32(const float *w, long r0, long r1, long n, const float *x, long nt,
                         float *y, long ldy) {
    for (long t = 0; t < nt; t++) {
        const float *xt = x + t * n;
        for (long r = r0; r < r1; r++) {
            const float *wr = w + r * n;
            __m256 acc = _mm256_setzero_ps();
            long i = 0;
            for (; i + 8 <= n; i += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(wr + i), _mm256_loadu_ps(xt + i), acc);
            float s = hsum8(acc);
            for (; i < n; i++) s += wr[i] * xt[i];
            y[t * ldy + r] = s;
        }
    }
}

CK_AVX2 void ck_attn_scores(const float *q, const uint16_t *k, long stride, long n, long hd,
                            float scale, float *out) {
    for (long j = 0; j < n; j++) {
        const uint16_t *kj = k + j * stride;
        __m256 acc = _mm256_setzero_ps();
        long i = 0;
        for (; i + 8 <= hd; i += 8) {
            __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + i)));
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), kv, acc);
        }
        float s = hsum8(acc);
        for (; i < hd; i++) s += q[i] * f16_to_f32(kj[i]);
        out[j] = s * scale;
    }
}

CK_AVX2 void ck_attn_accumulate(const float *p, const uint16_t *v, long stride, long n, long hd,
                                float *out) {
    long i = 0;
    for (; i + 32 <= hd; i += 32) {
        __m256 a0 = _mm256_loadu_ps(out + i), a1 = _mm256_loadu_ps(out + i + 8);
        __m256 a2 = _mm256_loadu_ps(out + i + 16), a3 = _mm256_loadu_ps(out + i + 24);
        for (long j = 0; j < n; j++) {
            const uint16_t *vj = v + j * stride + i;
            __m256 pj = _mm256_set1_ps(p[j]);
            a0 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj))), a0);
            a1 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 8))), a1);
            a2 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 16))), a2);
            a3 = _mm256_fmadd_ps(pj, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 24))), a3);
        }
        _mm256_storeu_ps(out + i, a0); _mm256_storeu_ps(out + i + 8, a1);
        _mm256_storeu_ps(out + i + 16, a2); _mm256_storeu_ps(out + i + 24, a3);
    }
    for (; i < hd; i++) {
        float s = out[i];
        for (long j = 0; j < n; j++) s += p[j] * f16_to_f32(v[j * stride + i]);
        out[i] = s;
    }
}

CK_AVX2 void ck_attn_online(const uint16_t *q, const uint16_t *k, const uint16_t *v, long stride,
                            long n, long hd, float scale, uint16_t *acc, float *out) {
    float m = -INFINITY, sum = 0.0f;
    for (long i = 0; i < hd; i++) acc[i] = 0;
    for (long j = 0; j < n; j++) {
        const uint16_t *kj = k + j * stride, *vj = v + j * stride;
        long i;
        float s = dot_f16x4(q, kj, hd);
        s *= scale;
        float ms = 1.0f, vs = 1.0f;
        if (s > m) {
            float old = m;
            m = s;
            ms = expf(old - m);
            // Rescale the fp16 accumulator.
            __m256 f = _mm256_set1_ps(ms);
            for (i = 0; i + 8 <= hd; i += 8)
                _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_mul_ps(
                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i))), f), 0));
            for (; i < hd; i++) acc[i] = _cvtss_sh(f16_to_f32(acc[i]) * ms, 0);
        } else {
            vs = expf(s - m);
        }
        __m256 f = _mm256_set1_ps(vs);
        for (i = 0; i + 8 <= hd; i += 8)
            _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_fmadd_ps(
                _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + i))), f,
                _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)))), 0));
        for (; i < hd; i++) acc[i] = _cvtss_sh(fmaf(f16_to_f32(vj[i]), vs, f16_to_f32(acc[i])), 0);
        sum = sum * ms + vs;
    }
    float inv = sum > 0 ? 1.0f / sum : 0.0f;
    for (long i = 0; i < hd; i++) out[i] = f16_to_f32(acc[i]) * inv;
}

CK_AVX2 void ck_f32_to_f16(const float *x, uint16_t *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), 0));
    for (; i < n; i++) y[i] = _cvtss_sh(x[i], 0);
}

CK_AVX2 void ck_swiglu(const float *g, const float *u, float *y, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        __m256 e = vexp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
        __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(y + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++) y[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

// Columns of an 8×8 fp16 block (rows `stride` apart) as 8 float vectors: c[e][r] = x[r·stride + e].
CK_INLINE void transpose8(const uint16_t *x, long stride, __m256 c[8]) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i * stride)));
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    c[0] = _mm256_permute2f128_ps(u0, u4, 0x20); c[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    c[1] = _mm256_permute2f128_ps(u1, u5, 0x20); c[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    c[2] = _mm256_permute2f128_ps(u2, u6, 0x20); c[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    c[3] = _mm256_permute2f128_ps(u3, u7, 0x20); c[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

CK_AVX2 void ck_attn_tiled(const float *q, const uint16_t *k, const uint16_t *v, long stride, long n,
                           long hd, float scale, float *p, float *out) {
    float m = -INFINITY, sum = 0.0f;
    for (long i = 0; i < hd; i++) out[i] = 0.0f;
    for (long t0 = 0; t0 < n; t0 += 64) {
        long kt = n - t0 < 64 ? n - t0 : 64;
        // Scores: one sequential fused multiply-add chain per key, as a 64×64 f32 GEMM tile does;
        // eight keys at a time run their chains in the lanes of one vector (same bits, and no
        // longer one FMA latency per element).
        long j0 = 0;
        if (hd % 8 == 0) {
            for (; j0 + 8 <= kt; j0 += 8) {
                const uint16_t *kb = k + (t0 + j0) * stride;
                __m256 acc = _mm256_setzero_ps();
                for (long i = 0; i < hd; i += 8) {
                    __m256 c[8];
                    transpose8(kb + i, stride, c);
                    for (int e = 0; e < 8; e++) acc = _mm256_fmadd_ps(c[e], _mm256_set1_ps(q[i + e]), acc);
                }
                _mm256_storeu_ps(p + j0, _mm256_mul_ps(acc, _mm256_set1_ps(scale)));
            }
        }
        for (long j = j0; j < kt; j++) {
            const uint16_t *kj = k + (t0 + j) * stride;
            float s = 0.0f;
            for (long i = 0; i < hd; i++) s = fmaf(f16_to_f32(kj[i]), q[i], s);
            p[j] = s * scale;
        }
        for (long j = kt; j < 64; j++) p[j] = -INFINITY;
        float tileMax = -INFINITY;
        for (long j = 0; j < kt; j++) tileMax = p[j] > tileMax ? p[j] : tileMax;
        float mNew = fmaxf(m, tileMax);
        if (mNew > m) {
            float ms = expf(m - mNew);
            for (long i = 0; i < hd; i++) out[i] *= ms;
            sum *= ms;
        }
        m = mNew;
        double tileSum = 0.0;
        __m256 mv = _mm256_set1_ps(mNew);
        for (long j = 0; j < 64; j += 8) {
            __m256 e = vexp8(_mm256_sub_ps(_mm256_loadu_ps(p + j), mv));
            _mm256_storeu_ps(p + j, e);
            tileSum += (double)hsum8(e);
        }
        sum = (float)((double)sum + tileSum);
        // Values: out += p_j·v_j, keys in order, one fused multiply-add per element.
        long i = 0;
        for (; i + 32 <= hd; i += 32) {
            __m256 a0 = _mm256_loadu_ps(out + i), a1 = _mm256_loadu_ps(out + i + 8);
            __m256 a2 = _mm256_loadu_ps(out + i + 16), a3 = _mm256_loadu_ps(out + i + 24);
            for (long j = 0; j < kt; j++) {
                const uint16_t *vj = v + (t0 + j) * stride + i;
                __m256 pj = _mm256_set1_ps(p[j]);
                a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj))), pj, a0);
                a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 8))), pj, a1);
                a2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 16))), pj, a2);
                a3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + 24))), pj, a3);
            }
            _mm256_storeu_ps(out + i, a0); _mm256_storeu_ps(out + i + 8, a1);
            _mm256_storeu_ps(out + i + 16, a2); _mm256_storeu_ps(out + i + 24, a3);
        }
        for (; i < hd; i++)
            for (long j = 0; j < kt; j++) out[i] = fmaf(f16_to_f32(v[(t0 + j) * stride + i]), p[j], out[i]);
    }
    float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
    for (long i = 0; i < hd; i++) out[i] *= inv;
}

#else

int ck_has_avx2(void) { return 0; }

#endif
