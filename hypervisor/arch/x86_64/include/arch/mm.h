/*
 * arch/mm.h - from machine frames to hypervisor pointers: the direct map.
 *
 * Every RAM frame is mapped at DIRECTMAP_VIRT_START + its physical address
 * (paging.c), read-write and not executable.
 */
#ifndef ARCH_MM_H
#define ARCH_MM_H

#include "types.h"
#include "layout.h"

static inline void *maddr_to_virt(paddr_t p) { return (void *)(DIRECTMAP_VIRT_START + p); }
static inline void *mfn_to_virt(mfn_t m) { return maddr_to_virt(mfn_x(m) << PAGE_SHIFT); }
static inline paddr_t virt_to_maddr(const void *v)
{
    u64 va = (u64)v;
    if (va >= HV_IMAGE_START && va < DIRECTMAP_VIRT_START)
        return va - HV_VIRT_BASE;           /* the image is loaded at its link address - HV_VIRT_BASE */
    return va - DIRECTMAP_VIRT_START;
}
static inline mfn_t virt_to_mfn(const void *v) { return _mfn(virt_to_maddr(v) >> PAGE_SHIFT); }

#endif
