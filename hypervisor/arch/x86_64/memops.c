/*
 * memops.c - memcpy/memmove/memset/memcmp with string instructions.
 *
 * The compiler emits calls to these for structure copies, so they are kept
 * simple and never call back into C.  `rep movsq` moves a 4 KiB page in 513
 * counted instructions under QEMU's -icount: the copy paths depend on it.
 */
#include "lib.h"

#undef memcpy
#undef memset
#undef memcmp

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t q = n >> 3;

    __asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) :: "memory");
    n &= 7;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) :: "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards. */
    void *d = (u8 *)dst + n - 1;
    const void *s = (const u8 *)src + n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    u64 v = (u8)c * 0x0101010101010101ULL;
    size_t q = n >> 3;

    __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
    n &= 7;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(v) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}
