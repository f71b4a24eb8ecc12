/*
 * guest_access.c - copies to and from guest virtual addresses that survive
 * a page fault: `rep movsb` with a fixup entry, so a fault leaves the count
 * of bytes not copied in %rcx and execution continues after the copy.
 */
#include "guest_access.h"
#include "arch/extable.h"

static size_t copy_with_fixup(void *dst, const void *src, size_t n)
{
    __asm__ volatile("1: rep movsb\n"
                     "2:\n"
                     ASM_EXTABLE(1b, 2b)
                     : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
    return n;
}

size_t raw_copy_from_guest(void *dst, u64 src, size_t n)
{
    return copy_with_fixup(dst, (const void *)src, n);
}

size_t raw_copy_to_guest(u64 dst, const void *src, size_t n)
{
    return copy_with_fixup((void *)dst, src, n);
}
