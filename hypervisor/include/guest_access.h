/*
 * guest_access.h - the only way the hypervisor touches memory a guest names.
 *
 * Guest addresses are virtual addresses of the calling vCPU (the hypervisor
 * runs on the guest's page tables during a hypercall).  A range is accepted
 * only if it is canonical, does not wrap and stays clear of the hypervisor's
 * L4 slots 256-271; the copy itself survives a fault through the exception
 * fixup table.  On failure the functions return -EFAULT and a copy_from_guest
 * destination is zero-filled, so nothing stale leaks onwards.
 */
#ifndef TERN_GUEST_ACCESS_H
#define TERN_GUEST_ACCESS_H

#include "types.h"
#include "xen_abi.h"

#define GUEST_LOW_END       0x0000800000000000ull   /* end of the lower canonical half */
#define GUEST_HIGH_START    0xffff880000000000ull   /* first address above slot 271 */

static inline bool guest_range_ok(u64 va, u64 len)
{
    u64 end = va + len;
    if (end < va)
        return false;
    if (len == 0)
        return va < GUEST_LOW_END || va >= GUEST_HIGH_START;
    return end <= GUEST_LOW_END || va >= GUEST_HIGH_START;
}

/* Raw copies (arch/guest_access.h): the number of bytes NOT copied (0 = all). */
#include "arch/guest_access.h"

static inline int copy_from_guest(void *dst, u64 src, size_t n)
{
    if (!guest_range_ok(src, n)) {
        __builtin_memset(dst, 0, n);
        return -EFAULT;
    }
    size_t left = raw_copy_from_guest(dst, src, n);
    if (left) {
        __builtin_memset((u8 *)dst + (n - left), 0, left);
        return -EFAULT;
    }
    return 0;
}

static inline int copy_to_guest(u64 dst, const void *src, size_t n)
{
    if (!guest_range_ok(dst, n))
        return -EFAULT;
    return raw_copy_to_guest(dst, src, n) ? -EFAULT : 0;
}

#endif
