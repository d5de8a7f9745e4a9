#include "CSystem.h"

#include <stdint.h>
#include <stdlib.h> /* defines __GLIBC__ with glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* Large tensors and arrays come and go at every step of a computation. By default glibc
   maps each block of 128 kB or more afresh and unmaps it when freed, so every step pays
   page faults to zero new memory; serving every block from the heap, which keeps freed
   memory for reuse (up to 512 MB before any is returned), made the chain and network
   workloads 5-15 % faster (docs/BENCHMARKS.md).

   The heap then grows 64 MB at a time, and what it grows by is offered to the kernel for
   transparent huge pages (madvise): a script that builds a large graph touches tens of
   megabytes of new memory, and a page fault for each 4 kB of it cost a quarter of the run
   (14 000 faults for the 20 000-step chain; 1 500 with huge pages). Where the kernel has
   huge pages off, or this is not glibc on Linux, the advice does nothing. */

#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
static const uintptr_t huge_page = (uintptr_t)2 << 20;
/* End of the part of the heap advised so far (0: none yet). */
static uintptr_t advised_end = 0;
#endif

void graphrepl_heap_hugepages(void) {
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    uintptr_t end = (uintptr_t)sbrk(0) & ~(huge_page - 1);
    if (advised_end == 0 || end <= advised_end) return;
    /* Failure (huge pages unavailable) leaves the memory as it was: ignored. */
    (void)madvise((void *)advised_end, end - advised_end, MADV_HUGEPAGE);
    advised_end = end;
#endif
}

void graphrepl_tune_malloc(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_MAX, 0); /* no block mapped on its own: all from the heap */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#if defined(MADV_HUGEPAGE)
    mallopt(M_TOP_PAD, 64 << 20);
    /* What the heap holds now stays as it is; from the next huge page boundary on, the
       heap is grown now (by the top pad, without touching it) and advised. */
    advised_end = ((uintptr_t)sbrk(0) + huge_page - 1) & ~(huge_page - 1);
    void *volatile block = malloc(1 << 20);
    free(block);
    graphrepl_heap_hugepages();
#endif
#endif
}
