/*
 * Host shim of the direct map: machine frame m lives at shim_ram + m * 4096,
 * a buffer the test sets up (shim.c).
 */
#ifndef SHIM_ARCH_MM_H
#define SHIM_ARCH_MM_H

#include "types.h"

extern u8 *shim_ram;

static inline void *mfn_to_virt(mfn_t m) { return shim_ram + (mfn_x(m) << PAGE_SHIFT); }
static inline mfn_t virt_to_mfn(const void *v)
{
    return _mfn((u64)((const u8 *)v - shim_ram) >> PAGE_SHIFT);
}
static inline void *maddr_to_virt(paddr_t p) { return shim_ram + p; }

#endif
