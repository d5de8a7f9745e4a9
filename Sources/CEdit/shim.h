#ifndef GRAPHREPL_CEDIT_SHIM_H
#define GRAPHREPL_CEDIT_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <locale.h>
#include <signal.h>
#include <editline/readline.h>

/* Accessors for libedit's C globals: Swift 6 refuses shared mutable C state. */
static inline void cedit_set_name(const char *name) { rl_readline_name = name; }
static inline void cedit_set_completer(char **(*fn)(const char *, int, int)) {
    rl_attempted_completion_function = fn;
}
static inline void cedit_set_word_breaks(const char *breaks) {
    rl_basic_word_break_characters = (char *)breaks;
}
static inline const char *cedit_line_buffer(void) { return rl_line_buffer; }
static inline void cedit_no_default_completion(void) { rl_attempted_completion_over = 1; }
static inline void cedit_set_catch_signals(int on) { rl_catch_signals = on; }
static inline int cedit_history_length(void) { return history_length; }
static inline void cedit_set_append_character(int c) { rl_completion_append_character = c; }
static inline int cedit_point(void) { return rl_point; }
/* Tab bound to a function of graphrepl's own, which inserts the completion itself:
   libedit's shared completion rings the bell even after inserting a single match. */
static inline int cedit_bind_tab(int (*fn)(int, int)) {
    rl_initialize();
    return rl_add_defun("graphrepl-complete", fn, '\t');
}
#endif
