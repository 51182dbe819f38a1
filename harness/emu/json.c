#include "json.h"

#include <string.h>

void json_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\r')
            fputs("\\r", f);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void json_cstr(FILE *f, const char *s)
{
    json_string(f, s, strlen(s));
}

void json_hex(FILE *f, uint64_t v)
{
    fprintf(f, "\"0x%lx\"", (unsigned long)v);
}

void json_key_u64(FILE *f, const char *key, uint64_t v)
{
    json_cstr(f, key);
    fprintf(f, ": %lu", (unsigned long)v);
}
