/* arch/pv_mode.h - the guest kernel/user mode switch, inline for the hot paths. */
#ifndef ARCH_PV_MODE_H
#define ARCH_PV_MODE_H

#include <domain.h>     /* the generic one, not arch/domain.h beside this file */

/* Switch between the guest's kernel and user halves: page tables and the
 * two GS bases (swapgs).  The hot path of every user system call: no TLB
 * flush stamp here (a CR3 load flushes anyway; stamps only spare flushes). */
static inline void toggle_guest_mode(struct vcpu *v)
{
    __asm__ volatile("swapgs" ::: "memory");
    v->arch.kernel_mode = !v->arch.kernel_mode;
    u64 mfn = (!v->arch.kernel_mode && v->arch.guest_table_user) ? v->arch.guest_table_user
                                                                  : v->arch.guest_table;
    __asm__ volatile("mov %0, %%cr3" :: "r"(mfn << 12) : "memory");
    v->stats.as_switches++;
}

#endif
