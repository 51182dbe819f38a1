#ifndef LOADER_LIBC_H
#define LOADER_LIBC_H
/* The C library functions the bare-metal loader provides (loader/arch/aarch64/libc.c):
 * exactly the ones libfdt calls. The loader is built with -nostdinc, so this
 * header, not a host or cross libc's <string.h>/<stdlib.h>, declares them. */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);

#endif
