#include "CSystem.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

/* cblas_dgemm's signature and the two enumeration values used (cblas.h). */
typedef void (*dgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                         const double *a, int lda, const double *b, int ldb, double beta, double *c,
                         int ldc);
enum { ROW_MAJOR = 101, NO_TRANS = 111 };

static dgemm_fn dgemm;
static pthread_once_t once = PTHREAD_ONCE_INIT;

void graphrepl_blas_configure(void) {
    /* One thread unless the user asks for more: the products graphrepl computes are
       small enough that a pool's start-up and spinning cost more than it saves
       (docs/BENCHMARKS.md). Set at start-up, before any other thread runs: OpenBLAS
       reads it when it is loaded, perhaps on the preload thread. */
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
}

static void load(void) {
    static const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libcblas.so.3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *lib = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
        if (lib == NULL) continue;
        dgemm = (dgemm_fn)dlsym(lib, "cblas_dgemm");
        if (dgemm != NULL) return;
        dlclose(lib);
    }
}

static void *preload(void *unused) {
    (void)unused;
    pthread_once(&once, load);
    return NULL;
}

static void start_preload(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, preload, NULL) == 0) pthread_detach(t);
}

void graphrepl_blas_preload(void) {
    static pthread_once_t started = PTHREAD_ONCE_INIT;
    pthread_once(&started, start_preload);
}

int graphrepl_dgemm(int m, int n, int k, const double *a, const double *b, double *c) {
    pthread_once(&once, load);
    if (dgemm == NULL) return 0;
    dgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
    return 1;
}
