/*
 * lib.h - freestanding C library of the hypervisor (lib/): strings, memory,
 * formatted output.  Host unit tests compile the same sources.
 */
#ifndef TERN_LIB_H
#define TERN_LIB_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);

#ifndef TERN_HOST
/* Let the compiler expand small fixed-size copies inline. */
#define memcpy(d, s, n) __builtin_memcpy(d, s, n)
#define memset(d, c, n) __builtin_memset(d, c, n)
#define memcmp(a, b, n) __builtin_memcmp(a, b, n)
#endif

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* Parse an unsigned number in base 10, or base 16 with 0x.  Returns the
 * number of characters consumed, 0 on a syntax error or overflow. */
size_t parse_u64(const char *s, size_t len, u64 *out);

#endif
