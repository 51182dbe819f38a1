/* A growable string for check messages and reports (tables can be long). */
#ifndef EMU_STRBUF_H
#define EMU_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *s;
    size_t len, cap;
};

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); stays owned by b. */
const char *sb_str(const struct strbuf *b);
void sb_free(struct strbuf *b);

#endif
