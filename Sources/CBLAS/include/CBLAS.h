#ifndef GRAPHREPL_CBLAS_H
#define GRAPHREPL_CBLAS_H

/* C = A·B for row-major A (m×k) and B (k×n), by OpenBLAS's dgemm. OpenBLAS is loaded
   on the first call (dlopen), not at start-up: loading it maps its libraries and starts
   its thread pool, which would cost every run that never multiplies a large matrix.
   Returns 1 when the product was computed, 0 when OpenBLAS could not be loaded (the
   caller then computes it itself). */
int graphrepl_dgemm(int m, int n, int k, const double *a, const double *b, double *c);

#endif
