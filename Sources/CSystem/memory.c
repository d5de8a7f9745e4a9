#include "CSystem.h"

#include <stdlib.h> /* defines __GLIBC__ with glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/* Large tensors and arrays come and go at every step of a computation. By default glibc
   maps each block of 128 kB or more afresh and unmaps it when freed, so every step pays
   page faults to zero new memory; serving every block from the heap, which keeps freed
   memory for reuse (up to 512 MB before any is returned), made the chain and network
   workloads 5-15 % faster (docs/BENCHMARKS.md). */
void graphrepl_tune_malloc(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0); /* no block mapped on its own: all from the heap */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}
