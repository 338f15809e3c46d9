// OpenBLAS's CBLAS sgemm (for batched prompt processing), loaded with dlopen on first use.
//
// Why a shim: linking OpenBLAS eagerly costs every `miller` process its loading and the start of its
// worker threads (more than a millisecond), although only prompt batches use it. Call sites keep the
// CBLAS spelling (`cblas_sgemm(CblasRowMajor, CblasNoTrans, ...)`); check `cblas_load()` first to turn a
// missing library into a typed error (sgemm without the library prints why and aborts).
#ifndef MILLER_CBLAS_H
#define MILLER_CBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

// The CBLAS enums with their standard values (the library's own header would also declare the
// functions, which are resolved here at run time instead).
typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE {
    CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114
} CBLAS_TRANSPOSE;

/// Loads OpenBLAS once (thread-safe); 0 on success, else -1 with the reason in `cblas_load_error()`.
int cblas_load(void);
/// Why loading failed (library names and dlerror's text); empty when it did not.
const char *cblas_load_error(void);

/// `cblas_sgemm` through the loaded library (loads it on first call).
void miller_cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, int m, int n, int k,
                        float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
                        int ldc);

/// The standard CBLAS entry point, kept as an inline forwarder so no global `cblas_sgemm` symbol exists.
static inline void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, int m, int n,
                               int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                               float *c, int ldc) {
    miller_cblas_sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#ifdef __cplusplus
}
#endif

#endif
