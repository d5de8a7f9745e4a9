#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
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
#include <unistd.h>

static struct {
    void *start;
    size_t length;
} prefault_range;

/* The processors this process may run on (its affinity: `taskset`, a cpuset), which
   may be fewer than the machine's. */
static int usable_processors(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(&set);
}

static void *prefault_pages(void *unused) {
    (void)unused;
#if defined(MADV_POPULATE_WRITE)
    /* Maps the pages in, as writing them would, but without writing: what the main
       thread has put there meanwhile is untouched. Fails harmlessly on older kernels. */
    madvise(prefault_range.start, prefault_range.length, MADV_POPULATE_WRITE);
#endif
    return NULL;
}
#endif

/* A long script fills tens of megabytes of heap, and on a virtual machine the first
   touch of each page costs about a microsecond: a quarter of running a 20 000-line
   script. The heap is grown by `bytes` at once and given back (it stays in the heap:
   see graphrepl_tune_malloc), and a thread of its own maps those pages in while the
   script is read and run, on another processor. Only where the process may use two
   processors or more (on one, the thread's work would come out of the script's time),
   once per process. */
void graphrepl_prefault(size_t bytes) {
#if defined(__GLIBC__) && defined(__linux__)
    static int started = 0;
    if (started || bytes < (1 << 20) || usable_processors() < 2) return;
    started = 1;
    char *p = malloc(bytes);
    if (!p) return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
    free(p);
    if (end <= start + page) return;
    prefault_range.start = (void *)start;
    prefault_range.length = end - start - page; /* the last page may hold the heap's top */
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    /* On a processor other than this thread's: the scheduler otherwise starts it, as
       often as not, beside the script's thread, and the two then share one processor
       for the whole run (a chain of 20 000 lines then took 26-31 ms instead of 18-21). */
    {
        cpu_set_t set;
        int here = sched_getcpu();
        if (here >= 0 && sched_getaffinity(0, sizeof set, &set) == 0 && CPU_ISSET(here, &set)) {
            CPU_CLR(here, &set);
            pthread_attr_setaffinity_np(&attr, sizeof set, &set);
        }
    }
    pthread_t thread;
    pthread_create(&thread, &attr, prefault_pages, NULL);
    pthread_attr_destroy(&attr);
#else
    (void)bytes;
#endif
}
