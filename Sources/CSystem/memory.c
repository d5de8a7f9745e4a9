#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, MADV_HUGEPAGE */
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
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The processors this process may run on (its affinity: `taskset`, a cpuset), which
   may be fewer than the machine's. */
static int usable_processors(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(&set);
}

static double milliseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static struct {
    char *start, *end;
} prefault_range;

#define LARGE_PAGE ((uintptr_t)2 << 20)

static void *prefault_pages(void *unused) {
    (void)unused;
#if defined(MADV_POPULATE_WRITE)
    /* Large page by large page, in the order the heap is used. Where the memory for one
       comes from far away (a virtual machine whose host took back memory the guest had
       freed, as after another large process has run: about 5 ms a large page, against
       0.08 ms, and 0.7 ms for 512 small ones), the rest is mapped with small pages. */
    char *p = prefault_range.start;
    while (p < prefault_range.end) {
        double t = milliseconds();
        /* Maps the pages in, as writing them would, but without writing: what the main
           thread has put there meanwhile is untouched. Fails harmlessly on older
           kernels. */
        if (madvise(p, LARGE_PAGE, MADV_POPULATE_WRITE) != 0) return NULL;
        p += LARGE_PAGE;
        if (milliseconds() - t > 1.0 && p < prefault_range.end) {
            madvise(p, (size_t)(prefault_range.end - p), MADV_NOHUGEPAGE);
            madvise(p, (size_t)(prefault_range.end - p), MADV_POPULATE_WRITE);
            return NULL;
        }
    }
#endif
    return NULL;
}
#endif

/* A long script fills tens of megabytes of heap. On a virtual machine the first touch
   of each 4 kB page costs about a microsecond, and every miss of the processor's
   address cache a walk of two page tables. So, where the process may use two
   processors or more, the heap is grown by `bytes` at once and given back (it stays in
   the heap: see graphrepl_tune_malloc), the kernel is asked to map it with 2 MB pages
   (one fault and one address-cache entry where there were 512; Linux does so on
   request by default), and a thread of its own maps those pages in while the script is
   read and run (prefault_pages). Together: 31 → 22 ms for a 20 000-line script. On one
   processor the thread's work would come out of the script's time, and a large page
   that is slow to come (see prefault_pages) would stall the script: nothing is done.
   Once per process; nothing below 4 MB. */
void graphrepl_large_pages(size_t bytes) {
#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE)
    static int done = 0;
    if (done || bytes < (4 << 20) || usable_processors() < 2) return;
    done = 1;
    char *p = malloc(bytes);
    if (!p) return;
    uintptr_t start = ((uintptr_t)p + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(LARGE_PAGE - 1);
    free(p);
    if (end <= start) return;
    madvise((void *)start, end - start, MADV_HUGEPAGE);
    prefault_range.start = (char *)start;
    prefault_range.end = (char *)end;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    pthread_t thread;
    pthread_create(&thread, &attr, prefault_pages, NULL);
    pthread_attr_destroy(&attr);
#else
    (void)bytes;
#endif
}
