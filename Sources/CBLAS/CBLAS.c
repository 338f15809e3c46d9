// Resolves OpenBLAS's cblas_sgemm with dlopen on first use (see CBLAS.h for why).
#include "CBLAS.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*SgemmFunction)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, int, int, int, float, const float *,
                              int, const float *, int, float, float *, int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int status = -1;
static char loadError[512];
static SgemmFunction sgemm;

static void load(void) {
    static const char *const names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.0.dylib",
                                        "libopenblas.dylib"};
    void *handle = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0] && !handle; i++)
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(loadError, sizeof loadError, "cannot load libopenblas.so.0 (%s); install libopenblas-dev",
                 why ? why : "not found");
        return;
    }
    sgemm = (SgemmFunction)dlsym(handle, "cblas_sgemm");
    if (!sgemm) {
        snprintf(loadError, sizeof loadError, "libopenblas.so.0 has no symbol cblas_sgemm");
        return;
    }
    status = 0;
}

int cblas_load(void) {
    pthread_once(&once, load);
    return status;
}

const char *cblas_load_error(void) { return loadError; }

void miller_cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, int m, int n, int k,
                        float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
                        int ldc) {
    if (cblas_load() != 0) {
        fprintf(stderr, "miller: sgemm needs OpenBLAS: %s\n", loadError);
        abort();
    }
    sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
