// SuiteSparse KLU (the sparse LU the simulator factors its MNA matrix with) and UMFPACK (its supernodal,
// BLAS-backed LU for the complex AC matrix of very large circuits), loaded with dlopen on first use.
//
// Why a shim: linking KLU and UMFPACK eagerly pulls OpenBLAS, CHOLMOD, LAPACK, gfortran, gomp and METIS
// into every `miller` process (about 4.5 ms of start-up, plus OpenBLAS threads), although small circuits
// never need them. The headers give the types and constants only; every call goes through a pointer
// resolved by `cklu_load` / `cklu_load_umfpack`. Debian 12 ships SuiteSparse 5 with no pkg-config file,
// so the header path is spelled out.
#ifndef MILLER_CKLU_H
#define MILLER_CKLU_H

#include <stdint.h>
#include <suitesparse/klu.h>
#include <suitesparse/umfpack.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Loads libklu once (thread-safe); 0 on success, else -1 with the reason in `cklu_error()`.
int cklu_load(void);
/// Loads libumfpack once (thread-safe); 0 on success, else -1 with the reason in `cklu_error()`.
int cklu_load_umfpack(void);
/// Why the last load failed (library or symbol name and dlerror's text); empty when none failed.
const char *cklu_error(void);

// KLU (int32 indices), valid after `cklu_load()` returned 0.
int cklu_defaults(klu_common *common);
klu_symbolic *cklu_analyze(int32_t n, int32_t *ap, int32_t *ai, klu_common *common);
klu_numeric *cklu_factor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_common *common);
int cklu_refactor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_numeric *numeric,
                  klu_common *common);
int cklu_rcond(klu_symbolic *symbolic, klu_numeric *numeric, klu_common *common);
int cklu_solve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
               klu_common *common);
int cklu_free_symbolic(klu_symbolic **symbolic, klu_common *common);
int cklu_free_numeric(klu_numeric **numeric, klu_common *common);
klu_numeric *cklu_z_factor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_common *common);
int cklu_z_refactor(int32_t *ap, int32_t *ai, double *ax, klu_symbolic *symbolic, klu_numeric *numeric,
                    klu_common *common);
int cklu_z_rcond(klu_symbolic *symbolic, klu_numeric *numeric, klu_common *common);
int cklu_z_solve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
                 klu_common *common);
int cklu_z_tsolve(klu_symbolic *symbolic, klu_numeric *numeric, int32_t ldim, int32_t nrhs, double *b,
                  int32_t conjugate, klu_common *common);
int cklu_z_free_numeric(klu_numeric **numeric, klu_common *common);

// UMFPACK packed-complex (zi) routines, valid after `cklu_load_umfpack()` returned 0.
void cumf_zi_defaults(double *control);
int cumf_zi_symbolic(int32_t nrow, int32_t ncol, const int32_t *ap, const int32_t *ai, const double *ax,
                     const double *az, void **symbolic, const double *control, double *info);
int cumf_zi_numeric(const int32_t *ap, const int32_t *ai, const double *ax, const double *az, void *symbolic,
                    void **numeric, const double *control, double *info);
int cumf_zi_solve(int32_t sys, const int32_t *ap, const int32_t *ai, const double *ax, const double *az,
                  double *xx, double *xz, const double *bx, const double *bz, void *numeric,
                  const double *control, double *info);
void cumf_zi_free_symbolic(void **symbolic);
void cumf_zi_free_numeric(void **numeric);

#ifdef __cplusplus
}
#endif

#endif
