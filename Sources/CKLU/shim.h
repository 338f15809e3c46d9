// SuiteSparse KLU, the sparse LU the simulator factors its MNA matrix with.
// Debian 12 ships SuiteSparse 5 with no pkg-config file, so the header path is spelled out here.
#include <suitesparse/klu.h>
// UMFPACK (same SuiteSparse): its supernodal, BLAS-backed LU factors the complex AC matrix of very large
// circuits several times faster than KLU's left-looking kernel.
#include <suitesparse/umfpack.h>
