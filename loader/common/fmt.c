#include "fmt.h"

#include <stdint.h>

/* sign ('-' or 0) counts toward width and goes before zero padding but after
 * space padding, as in printf. */
static void put_uint(bc_putc_fn putc, void *ctx, uint64_t v, unsigned base,
                     int upper, int width, char pad, char sign)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int len = 0;
    do {
        tmp[len++] = digits[v % base];
        v /= base;
    } while (v != 0);
    if (sign != '\0' && pad == '0')
        putc(sign, ctx);
    for (int i = len + (sign != '\0'); i < width; i++)
        putc(pad, ctx);
    if (sign != '\0' && pad != '0')
        putc(sign, ctx);
    while (len > 0)
        putc(tmp[--len], ctx);
}

void bc_vformat(bc_putc_fn putc, void *ctx, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            putc(*p, ctx);
            continue;
        }
        p++;
        char pad = ' ';
        int width = 0;
        int longs = 0;
        if (*p == '0') {
            pad = '0';
            p++;
        }
        while (*p >= '0' && *p <= '9')
            width = width * 10 + (*p++ - '0');
        while (*p == 'l' || *p == 'z') {
            longs++;
            p++;
        }
        switch (*p) {
        case '\0':
            return;
        case '%':
            putc('%', ctx);
            break;
        case 'c':
            putc((char)va_arg(ap, int), ctx);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            int len = 0;
            while (s[len] != '\0')
                len++;
            for (int i = len; i < width; i++)
                putc(' ', ctx);
            while (*s != '\0')
                putc(*s++, ctx);
            break;
        }
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            put_uint(putc, ctx, mag, 10, 0, width, pad, v < 0 ? '-' : '\0');
            break;
        }
        case 'u':
            put_uint(putc, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned),
                     10, 0, width, pad, '\0');
            break;
        case 'x':
        case 'X':
            put_uint(putc, ctx, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned),
                     16, *p == 'X', width, pad, '\0');
            break;
        case 'p':
            putc('0', ctx);
            putc('x', ctx);
            put_uint(putc, ctx, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, 16, '0', '\0');
            break;
        default:
            putc('%', ctx);
            putc(*p, ctx);
            break;
        }
    }
}

struct buf_sink {
    char *buf;
    size_t cap;
    size_t len;
};

static void buf_putc(char c, void *ctx)
{
    struct buf_sink *s = ctx;
    if (s->len + 1 < s->cap)
        s->buf[s->len] = c;
    s->len++;
}

int bc_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct buf_sink s = { buf, n, 0 };
    bc_vformat(buf_putc, &s, fmt, ap);
    if (n > 0)
        buf[s.len < n ? s.len : n - 1] = '\0';
    return (int)s.len;
}

int bc_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = bc_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
