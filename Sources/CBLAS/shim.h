#ifndef GRAPHREPL_CBLAS_SHIM_H
#define GRAPHREPL_CBLAS_SHIM_H
#include <cblas.h>

/* C = A·B for row-major A (m×k) and B (k×n). */
static inline void graphrepl_dgemm(int m, int n, int k, const double *a, const double *b, double *c) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
}
#endif
