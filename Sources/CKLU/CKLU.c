// Resolves KLU and UMFPACK with dlopen on first use (see CKLU.h for why).
#include "CKLU.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

static char loadError[512];

const char *cklu_error(void) { return loadError; }

/// Opens the first library of `names` that loads; records every failure otherwise.
static void *openFirst(const char *const *names, int count) {
    for (int i = 0; i < count; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) return handle;
    }
    const char *why = dlerror();
    snprintf(loadError, sizeof loadError, "cannot load %s (%s); install libsuitesparse-dev", names[0],
             why ? why : "not found");
    return NULL;
}

/// Resolves `name` into `*slot`; 0 on success.
static int resolve(void *handle, const char *library, const char *name, void **slot) {
    *slot = dlsym(handle, name);
    if (*slot) return 0;
    snprintf(loadError, sizeof loadError, "%s has no symbol %s", library, name);
    return -1;
}

// MARK: - KLU

#define KLU_FUNCTIONS(X) \
    X(klu_defaults) X(klu_analyze) X(klu_factor) X(klu_refactor) X(klu_rcond) X(klu_solve) \
    X(klu_free_symbolic) X(klu_free_numeric) X(klu_z_factor) X(klu_z_refactor) X(klu_z_rcond) \
    X(klu_z_solve) X(klu_z_tsolve) X(klu_z_free_numeric)

#define DECLARE_POINTER(name) static __typeof__(name) *p_##name;
KLU_FUNCTIONS(DECLARE_POINTER)

static pthread_once_t kluOnce = PTHREAD_ONCE_INIT;
static int kluStatus = -1;

static void loadKLU(void) {
    // The soname of the installed header's major version first, then the development symlink.
    static const char *const names[] = {"libklu.so." STRINGIFY(KLU_MAIN_VERSION), "libklu.so",
                                        "libklu." STRINGIFY(KLU_MAIN_VERSION) ".dylib", "libklu.dylib"};
    void *handle = openFirst(names, sizeof names / sizeof names[0]);
    if (!handle) return;
#define RESOLVE(name) if (resolve(handle, names[0], #name, (void **)&p_##name)) return;
    KLU_FUNCTIONS(RESOLVE)
    kluStatus = 0;
}

int cklu_load(void) {
    pthread_once(&kluOnce, loadKLU);
    return kluStatus;
}

int cklu_defaults(klu_common *common) { return p_klu_defaults(common); }
klu_symbolic *cklu_analyze(int32_t n, int32_t *ap, int32_t *ai, klu_common *common) {
    return p_klu_analyze(n, ap, ai, common);
}
klu_numeric *cklu_factor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_common *common) {
    return p_klu_factor(ap, ai, ax, symbolic, common);
}
int cklu_refactor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_numeric *numeric,
                  klu_common *common) {
    return p_klu_refactor(ap, ai, ax, symbolic, numeric, common);
}
int cklu_rcond(klu_symbolic *symbolic, klu_numeric *numeric, klu_common *common) {
    return p_klu_rcond(symbolic, numeric, common);
}
int cklu_solve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
               klu_common *common) {
    return p_klu_solve(symbolic, numeric, ldim, nrhs, b, common);
}
int cklu_free_symbolic(klu_symbolic **symbolic, klu_common *common) { return p_klu_free_symbolic(symbolic, common); }
int cklu_free_numeric(klu_numeric **numeric, klu_common *common) { return p_klu_free_numeric(numeric, common); }
klu_numeric *cklu_z_factor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_common *common) {
    return p_klu_z_factor(ap, ai, ax, symbolic, common);
}
int cklu_z_refactor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_numeric *numeric,
                    klu_common *common) {
    return p_klu_z_refactor(ap, ai, ax, symbolic, numeric, common);
}
int cklu_z_rcond(klu_symbolic *symbolic, klu_numeric *numeric, klu_common *common) {
    return p_klu_z_rcond(symbolic, numeric, common);
}
int cklu_z_solve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
                 klu_common *common) {
    return p_klu_z_solve(symbolic, numeric, ldim, nrhs, b, common);
}
int cklu_z_tsolve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
                  int32_t conjugate, klu_common *common) {
    return p_klu_z_tsolve(symbolic, numeric, ldim, nrhs, b, conjugate, common);
}
int cklu_z_free_numeric(klu_numeric **numeric, klu_common *common) { return p_klu_z_free_numeric(numeric, common); }

// MARK: - UMFPACK

#define UMFPACK_FUNCTIONS(X) \
    X(umfpack_zi_defaults) X(umfpack_zi_symbolic) X(umfpack_zi_numeric) X(umfpack_zi_solve) \
    X(umfpack_zi_free_symbolic) X(umfpack_zi_free_numeric)

UMFPACK_FUNCTIONS(DECLARE_POINTER)

static pthread_once_t umfpackOnce = PTHREAD_ONCE_INIT;
static int umfpackStatus = -1;

static void loadUMFPACK(void) {
    static const char *const names[] = {"libumfpack.so." STRINGIFY(UMFPACK_MAIN_VERSION), "libumfpack.so",
                                        "libumfpack." STRINGIFY(UMFPACK_MAIN_VERSION) ".dylib", "libumfpack.dylib"};
    void *handle = openFirst(names, sizeof names / sizeof names[0]);
    if (!handle) return;
    UMFPACK_FUNCTIONS(RESOLVE)
    umfpackStatus = 0;
}

int cklu_load_umfpack(void) {
    pthread_once(&umfpackOnce, loadUMFPACK);
    return umfpackStatus;
}

void cumf_zi_defaults(double *control) { p_umfpack_zi_defaults(control); }
int cumf_zi_symbolic(int32_t nrow, int32_t ncol, const int32_t *ap, const int32_t *ai, const double *ax,
                     const double *az, void **symbolic, const double *control, double *info) {
    return p_umfpack_zi_symbolic(nrow, ncol, ap, ai, ax, az, symbolic, control, info);
}
int cumf_zi_numeric(const int32_t *ap, const int32_t *ai, const double *ax, const double *az, void *symbolic,
                    void **numeric, const double *control, double *info) {
    return p_umfpack_zi_numeric(ap, ai, ax, az, symbolic, numeric, control, info);
}
int cumf_zi_solve(int32_t sys, const int32_t *ap, const int32_t *ai, const double *ax, const double *az,
                  double *xx, double *xz, const double *bx, const double *bz, void *numeric,
                  const double *control, double *info) {
    return p_umfpack_zi_solve(sys, ap, ai, ax, az, xx, xz, bx, bz, numeric, control, info);
}
void cumf_zi_free_symbolic(void **symbolic) { p_umfpack_zi_free_symbolic(symbolic); }
void cumf_zi_free_numeric(void **numeric) { p_umfpack_zi_free_numeric(numeric); }
