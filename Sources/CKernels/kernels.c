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
        long r = r0;
        for (; r + 4 <= r1; r += 4) tile_q8(w, rowBytes, r, nb, q, d, 0, y, ldy, 4, 1);
        for (; r < r1; r++) tile_q8(w, rowBytes, r, nb, q, d, 0, y, ldy, 1, 1);
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
        __m256 a = _mm256_setzero_ps();
        long i = 0;
        for (; i + 8 <= hd; i += 8)
            a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(q + i))),
                                _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + i))), a);
        float s = hsum8(a);
        for (; i < hd; i++) s += f16_to_f32(q[i]) * f16_to_f32(kj[i]);
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

#else

int ck_has_avx2(void) { return 0; }

#endif
