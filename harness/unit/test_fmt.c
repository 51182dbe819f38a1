/* fmt.c: every conversion, flag and length modifier it documents, the
 * handling of what it does not support, and snprintf's truncation contract. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "../../loader/common/fmt.h"
#include "check.h"

static char out[128];

#define FMT(...) (bc_snprintf(out, sizeof out, __VA_ARGS__), out)

/* For formats the compiler's printf checking rightly rejects: what fmt.c
 * does with them is still defined and tested. */
static const char *fmt_unchecked(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vsnprintf(out, sizeof out, fmt, ap);
    va_end(ap);
    return out;
}

static void strings_and_chars(void)
{
    CHECK_STR(FMT("plain"), "plain");
    CHECK_STR(FMT("%s|%s", "a", ""), "a|");
    CHECK_STR(fmt_unchecked("%s", (const char *)NULL), "(null)");
    CHECK_STR(FMT("[%6s]", "abc"), "[   abc]");
    CHECK_STR(FMT("[%2s]", "abcd"), "[abcd]");
    CHECK_STR(FMT("%c%c%c", 'x', '%', '0'), "x%0");
    CHECK_STR(FMT("100%%"), "100%");
}

static void signed_decimal(void)
{
    CHECK_STR(FMT("%d %i", 0, 42), "0 42");
    CHECK_STR(FMT("%d", -7), "-7");
    CHECK_STR(FMT("%d", INT32_MIN), "-2147483648");
    CHECK_STR(FMT("%ld", (long)INT64_MIN), "-9223372036854775808");
    CHECK_STR(FMT("%lld", (long long)INT64_MAX), "9223372036854775807");
    CHECK_STR(FMT("[%5d]", 42), "[   42]");
    CHECK_STR(FMT("[%05d]", 42), "[00042]");
    /* The sign counts toward the width; zeros go after it, spaces before it. */
    CHECK_STR(FMT("[%05d]", -42), "[-0042]");
    CHECK_STR(FMT("[%5d]", -42), "[  -42]");
    CHECK_STR(FMT("[%2d]", -42), "[-42]");
}

static void unsigned_and_hex(void)
{
    CHECK_STR(FMT("%u", 4000000000u), "4000000000");
    CHECK_STR(FMT("%lu", (unsigned long)UINT64_MAX), "18446744073709551615");
    CHECK_STR(FMT("%zu", (size_t)12345), "12345");
    CHECK_STR(FMT("%x %X", 0xbeefu, 0xbeefu), "beef BEEF");
    CHECK_STR(FMT("%08x", 0x1234u), "00001234");
    CHECK_STR(FMT("%4x|%02x", 0xau, 0x1ffu), "   a|1ff");
    CHECK_STR(FMT("%lx", (unsigned long)UINT64_C(0xffffff8040000000)), "ffffff8040000000");
    CHECK_STR(FMT("%x", 0u), "0");
    CHECK_STR(FMT("%016lx", 1ul), "0000000000000001");
    /* Without 'l' only 32 bits are taken. */
    CHECK_STR(FMT("%x", (unsigned)UINT32_MAX), "ffffffff");
}

static void pointers(void)
{
    CHECK_STR(FMT("%p", (void *)(uintptr_t)0x48000000), "0x0000000048000000");
    CHECK_STR(FMT("%p", (void *)0), "0x0000000000000000");
}

static void unsupported_and_dangling(void)
{
    CHECK_STR(fmt_unchecked("%q"), "%q");
    CHECK_STR(fmt_unchecked("a%"), "a");
    CHECK_STR(fmt_unchecked("a%05"), "a");
    CHECK_STR(fmt_unchecked("a%l"), "a");
    CHECK_STR(fmt_unchecked("%d%q%d", 1, 2), "1%q2");
}

static void truncation(void)
{
    char buf[8];
    memset(buf, 'Z', sizeof buf);
    CHECK_U64(bc_snprintf(buf, sizeof buf, "0x%lx", 0x123456789ul), 11);
    CHECK_STR(buf, "0x12345");
    memset(buf, 'Z', sizeof buf);
    CHECK_U64(bc_snprintf(buf, 1, "abc"), 3);
    CHECK_U64(buf[0], 0);
    CHECK_U64(buf[1], 'Z');
    /* n == 0 writes nothing at all. */
    memset(buf, 'Z', sizeof buf);
    CHECK_U64(bc_snprintf(buf, 0, "abc"), 3);
    CHECK_U64(buf[0], 'Z');
    /* Exactly fitting: seven characters and the NUL. */
    CHECK_U64(bc_snprintf(buf, sizeof buf, "%s", "1234567"), 7);
    CHECK_STR(buf, "1234567");
}

struct sink {
    char text[64];
    unsigned n;
};

static void sink_putc(char c, void *ctx)
{
    struct sink *s = ctx;
    if (s->n + 1 < sizeof s->text)
        s->text[s->n++] = c;
}

static void stream(struct sink *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bc_vformat(sink_putc, s, fmt, ap);
    va_end(ap);
}

static void streams_through_putc(void)
{
    struct sink s = { { 0 }, 0 };
    stream(&s, "loader: %s at 0x%lx\n", "kernel", 0x40000000ul);
    CHECK_STR(s.text, "loader: kernel at 0x40000000\n");
    CHECK_U64(s.n, strlen("loader: kernel at 0x40000000\n"));
}

const struct unit_test fmt_tests[] = {
    { "fmt: strings and chars", strings_and_chars },
    { "fmt: signed decimal", signed_decimal },
    { "fmt: unsigned and hex", unsigned_and_hex },
    { "fmt: pointers", pointers },
    { "fmt: unsupported and dangling", unsupported_and_dangling },
    { "fmt: truncation", truncation },
    { "fmt: streams through putc", streams_through_putc },
    { NULL, NULL },
};
