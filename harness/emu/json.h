/* The few JSON writers the reports need (strings escaped, numbers as hex
 * strings for people or as plain integers for the judge). */
#ifndef EMU_JSON_H
#define EMU_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void json_string(FILE *f, const char *s, size_t len);
void json_cstr(FILE *f, const char *s);
void json_hex(FILE *f, uint64_t v);
/* `"key": ` followed by an unsigned integer (no separator). */
void json_key_u64(FILE *f, const char *key, uint64_t v);

#endif
