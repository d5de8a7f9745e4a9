#define _GNU_SOURCE /* MADV_HUGEPAGE */
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

#if defined(__GLIBC__) && defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* A long script fills tens of megabytes of heap. On a virtual machine the first touch
   of each 4 kB page costs about a microsecond, and every miss of the processor's
   address cache a walk of two page tables: together about 45 % of running a 20 000-line
   script. So the heap is grown by `bytes` at once and given back (it stays in the heap:
   see graphrepl_tune_malloc), and the part of it that 2 MB pages can cover is asked to
   be mapped with them when touched (where the system maps such pages on request, as
   Linux does by default): one fault where there were 512, one address-cache entry where
   there were 512. Nothing is touched here: memory the script never uses is never
   mapped. Once per process; nothing below 4 MB. */
void graphrepl_large_pages(size_t bytes) {
#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE)
    static int done = 0;
    if (done || bytes < (4 << 20)) return;
    done = 1;
    char *p = malloc(bytes);
    if (!p) return;
    uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(huge - 1);
    free(p);
    if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)bytes;
#endif
}
