/*
 * arch/guest_access.h - copies to and from guest virtual addresses that
 * survive a page fault: string moves with a fixup entry, so a fault leaves the
 * count not copied in %rcx and execution continues after the copy.  Whole
 * quadwords move with `rep movsq` (exception frames and most hypercall
 * arguments are quadword structures: one counted instruction per quadword
 * under TCG).  Inline: they sit on every bounce and most hypercalls.
 */
#ifndef ARCH_GUEST_ACCESS_H
#define ARCH_GUEST_ACCESS_H

#include "types.h"
#include "arch/extable.h"

static __always_inline size_t copy_with_fixup(void *dst, const void *src, size_t n)
{
    if (__builtin_constant_p(n) ? !(n & 7) : !(n & 7)) {
        size_t q = n >> 3;
        __asm__ volatile("1: rep movsq\n"
                         "2:\n"
                         ASM_EXTABLE(1b, 2b)
                         : "+D"(dst), "+S"(src), "+c"(q) :: "memory");
        return q << 3;
    }
    __asm__ volatile("1: rep movsb\n"
                     "2:\n"
                     ASM_EXTABLE(1b, 2b)
                     : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
    return n;
}

static __always_inline size_t raw_copy_from_guest(void *dst, u64 src, size_t n)
{
    return copy_with_fixup(dst, (const void *)src, n);
}

static __always_inline size_t raw_copy_to_guest(u64 dst, const void *src, size_t n)
{
    return copy_with_fixup((void *)dst, src, n);
}

#endif
