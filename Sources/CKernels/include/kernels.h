// Hot loops of the Infer target written with x86 AVX2/FMA/F16C intrinsics, which Swift cannot
// express directly (immediate-operand intrinsics are macros). Every function here is compiled with a
// per-function target attribute, so the binary still runs on CPUs without AVX2: callers must check
// `ck_has_avx2()` first and use Infer's portable Swift path otherwise. On non-x86 builds the
// functions are absent and `ck_has_avx2()` returns 0.
#ifndef MILLER_CKERNELS_H
#define MILLER_CKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when AVX2, FMA and F16C are available at run time (and this is an x86-64 build), else 0.
int ck_has_avx2(void);

#if defined(__x86_64__)

/// Quantizes `n` (a multiple of 32) floats into int8 `q` with one scale per 32-block in `d`
/// (d = amax/127 rounded through fp16, q = round-to-nearest-even(x·127/amax)).
void ck_quantize_q8(const float *x, long n, int8_t *q, float *d);

/// Q8_0 weight rows [r0, r1) (each `nb` blocks of 34 bytes: fp16 scale + 32 int8, rows `rowBytes`
/// apart) times `nt` quantized activation vectors (token t at q + t·nb·32, scales at d + t·nb).
/// Writes y[t·ldy + r].
void ck_gemm_q8_0(const uint8_t *w, long rowBytes, long r0, long r1, long nb,
                  const int8_t *q, const float *d, long nt, float *y, long ldy);

/// F32 weight rows [r0, r1) of length n (rows n floats apart) times `nt` float vectors
/// (token t at x + t·n). Writes y[t·ldy + r].
void ck_gemm_f32(const float *w, long r0, long r1, long n, const float *x, long nt,
                 float *y, long ldy);

/// out[j] = scale · dot(q, k_j) for j in [0, n); k_j = fp16 values at k + j·stride.
void ck_attn_scores(const float *q, const uint16_t *k, long stride, long n, long hd,
                    float scale, float *out);

/// out[i] += Σ_j p[j] · v_j[i] for i in [0, hd); v_j = fp16 values at v + j·stride.
void ck_attn_accumulate(const float *p, const uint16_t *v, long stride, long n, long hd,
                        float *out);

/// Attention of one fp16 query over `n` fp16 keys/values (`stride` apart) with the online softmax
/// and fp16 value accumulator of ggml's CPU flash attention; writes `hd` floats to `out`.
/// `acc` is scratch for `hd` fp16 values.
void ck_attn_online(const uint16_t *q, const uint16_t *k, const uint16_t *v, long stride, long n,
                    long hd, float scale, uint16_t *acc, float *out);

/// y[i] = silu(g[i])·u[i] with ggml's vectorized exp (bit-identical to llama.cpp's SwiGLU on AVX2).
void ck_swiglu(const float *g, const float *u, float *y, long n);

/// Attention of one f32 query over `n` fp16 keys/values (`stride` apart) in the order of llama.cpp's
/// tiled CPU flash attention: 64-key tiles, f32 scores, per-tile max and vectorized exp, f32 value
/// accumulation, one division at the end. `p` is scratch for 64 floats.
void ck_attn_tiled(const float *q, const uint16_t *k, const uint16_t *v, long stride, long n,
                   long hd, float scale, float *p, float *out);

/// Converts n floats to fp16 bit patterns (round to nearest even).
void ck_f32_to_f16(const float *x, uint16_t *y, long n);

#endif

#ifdef __cplusplus
}
#endif

#endif
