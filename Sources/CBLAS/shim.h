// OpenBLAS's CBLAS interface, for the sgemm of batched prompt processing.
#include <cblas.h>
