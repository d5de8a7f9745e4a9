#include "CEdit.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

/* The functions and variables of libedit's readline interface that graphrepl uses,
   found with dlsym (editline/readline.h declares them the same way). */
static struct {
    char *(*readline)(const char *);
    void (*using_history)(void);
    void (*stifle_history)(int);
    int (*read_history)(const char *);
    int (*write_history)(const char *);
    int (*add_history)(const char *);
    int (*insert_text)(const char *);
    int (*on_new_line)(void);
    void (*forced_update_display)(void);
    int (*initialize)(void);
    int (*add_defun)(const char *, int (*)(int, int), int);
    char **(*completion_matches)(const char *, char *(*)(const char *, int));
    const char **readline_name;
    char **(**attempted_completion_function)(const char *, int, int);
    char **line_buffer;
    int *point;
    int *attempted_completion_over;
    int *catch_signals;
    int *completion_append_character;
} api;

static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    static const char *names[] = {"libedit.so.2", "libedit.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *lib = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
        if (lib == NULL) continue;
        int ok = 1;
#define FIND(field, symbol) \
    if ((*(void **)&api.field = dlsym(lib, symbol)) == NULL) ok = 0;
        FIND(readline, "readline")
        FIND(using_history, "using_history")
        FIND(stifle_history, "stifle_history")
        FIND(read_history, "read_history")
        FIND(write_history, "write_history")
        FIND(add_history, "add_history")
        FIND(insert_text, "rl_insert_text")
        FIND(on_new_line, "rl_on_new_line")
        FIND(forced_update_display, "rl_forced_update_display")
        FIND(initialize, "rl_initialize")
        FIND(add_defun, "rl_add_defun")
        FIND(completion_matches, "rl_completion_matches")
        FIND(readline_name, "rl_readline_name")
        FIND(attempted_completion_function, "rl_attempted_completion_function")
        FIND(line_buffer, "rl_line_buffer")
        FIND(point, "rl_point")
        FIND(attempted_completion_over, "rl_attempted_completion_over")
        FIND(catch_signals, "rl_catch_signals")
        FIND(completion_append_character, "rl_completion_append_character")
#undef FIND
        if (ok) {
            loaded = 1;
            return;
        }
        dlclose(lib);
    }
}

int cedit_load(void) {
    pthread_once(&once, load);
    return loaded;
}

char *cedit_readline(const char *prompt) { return api.readline(prompt); }
void cedit_using_history(void) { api.using_history(); }
void cedit_stifle_history(int max) { api.stifle_history(max); }
int cedit_read_history(const char *path) { return api.read_history(path); }
int cedit_write_history(const char *path) { return api.write_history(path); }
void cedit_add_history(const char *line) { api.add_history(line); }

void cedit_set_name(const char *name) { *api.readline_name = name; }
void cedit_set_catch_signals(int on) { *api.catch_signals = on; }
void cedit_set_completer(char **(*fn)(const char *, int, int)) { *api.attempted_completion_function = fn; }
const char *cedit_line_buffer(void) { return *api.line_buffer; }
int cedit_point(void) { return *api.point; }
void cedit_no_default_completion(void) { *api.attempted_completion_over = 1; }
void cedit_set_append_character(int c) { *api.completion_append_character = c; }
char **cedit_completion_matches(const char *text, char *(*generator)(const char *, int)) {
    return api.completion_matches(text, generator);
}
void cedit_insert_text(const char *text) { api.insert_text(text); }
void cedit_on_new_line(void) { api.on_new_line(); }
void cedit_forced_update_display(void) { api.forced_update_display(); }
int cedit_bind_tab(int (*fn)(int, int)) {
    api.initialize();
    return api.add_defun("graphrepl-complete", fn, '\t');
}
