/* The two memory primitives the kernel needs. Named like the C library's
 * because GCC may emit calls to memset/memcpy for struct copies even in
 * freestanding mode. */
#ifndef STANDIN_KSTRING_H
#define STANDIN_KSTRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

#endif
