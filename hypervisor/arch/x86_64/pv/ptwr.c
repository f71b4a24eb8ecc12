/*
 * pv/ptwr.c - writable page tables: a guest kernel's direct write to one of
 * its own validated L1 pages faults (they are mapped read-only) and is
 * emulated here as an mmu_update of the entry it targets.
 *
 * Not implemented yet: every such write is delivered to the guest as the
 * page fault it is (the PV MMU issue completes this).
 */
#include "arch/pv.h"

bool pv_ptwr_fault(struct cpu_regs *regs, u64 addr, u32 ec)
{
    (void)regs; (void)addr; (void)ec;
    return false;
}
