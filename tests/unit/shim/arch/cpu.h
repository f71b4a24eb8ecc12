/*
 * Host shim of arch/cpu.h for the PV memory model (pv/mm.c): the time-stamp
 * counter is the shim's clock and a CR3 load is a TLB flush the shim records
 * for the fake CPU running (shim_pv.c).  Only what those sources use.
 */
#ifndef SHIM_ARCH_CPU_H
#define SHIM_ARCH_CPU_H

#include "types.h"

u64 shim_rdtsc(void);
void shim_tlb_flush(void);

static inline u64 rdtsc(void) { return shim_rdtsc(); }
static inline u64 read_cr3(void) { return 0; }
static inline void write_cr3_flush_all(u64 cr3) { (void)cr3; shim_tlb_flush(); }

#endif
