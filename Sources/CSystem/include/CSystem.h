#ifndef GRAPHREPL_CSYSTEM_H
#define GRAPHREPL_CSYSTEM_H
#include <stddef.h>

/* What graphrepl needs from the system that Swift does not reach directly. */

/* C = A·B for row-major A (m×k) and B (k×n), by OpenBLAS's dgemm. OpenBLAS is loaded
   on the first call (dlopen), not at start-up: loading it maps its libraries and starts
   its thread pool, which would cost every run that never multiplies a large matrix.
   Returns 1 when the product was computed, 0 when OpenBLAS could not be loaded (the
   caller then computes it itself). */
int graphrepl_dgemm(int m, int n, int k, const double *a, const double *b, double *c);

/* Asks OpenBLAS for one thread unless OPENBLAS_NUM_THREADS is set: call at start-up,
   before any other thread (it sets an environment variable). */
void graphrepl_blas_configure(void);

/* Starts loading OpenBLAS on a thread of its own, once, and returns at once: called when
   large numbers are on their way in (a big CSV file), so that the library is ready by the
   first large product instead of costing it about 2 ms. */
void graphrepl_blas_preload(void);

/* Keeps large blocks in glibc's heap for reuse instead of mapping each afresh (see
   graphrepl_tune_malloc in memory.c). Does nothing where the C library is not glibc. */
void graphrepl_tune_malloc(void);
/* Maps in `bytes` of fresh heap on a thread of its own, for a long script about to be
   run (see memory.c); does nothing below 1 MB, on one processor, or after the first call. */
void graphrepl_prefault(size_t bytes);

#endif
