#ifndef GRAPHREPL_CEDIT_H
#define GRAPHREPL_CEDIT_H
/* libedit's readline interface, as graphrepl uses it. libedit is opened (dlopen) on the
   first call of cedit_load, when an interactive session starts on a terminal: a script
   or a piped session never loads it, nor the three libraries it brings (a tenth of
   starting). Every other function here may be called only after cedit_load returned 1. */

/* 1 when libedit is loaded (or already was), 0 when it cannot be. */
int cedit_load(void);

char *cedit_readline(const char *prompt);
void cedit_using_history(void);
void cedit_stifle_history(int max);
int cedit_read_history(const char *path);
int cedit_write_history(const char *path);
void cedit_add_history(const char *line);

void cedit_set_name(const char *name);
void cedit_set_catch_signals(int on);
void cedit_set_completer(char **(*fn)(const char *, int, int));
const char *cedit_line_buffer(void);
int cedit_point(void);
void cedit_no_default_completion(void);
void cedit_set_append_character(int c);
char **cedit_completion_matches(const char *text, char *(*generator)(const char *, int));
void cedit_insert_text(const char *text);
void cedit_on_new_line(void);
void cedit_forced_update_display(void);
/* Tab bound to a function of graphrepl's own, which inserts the completion itself:
   libedit's shared completion rings the bell even after inserting a single match.
   0 when bound. */
int cedit_bind_tab(int (*fn)(int, int));
#endif
