/*
 * arch/domain.h - the x86-64 PV part of a vCPU and of a domain.
 *
 * A vCPU that is not running keeps its registers in arch.regs; while it runs
 * they live in the CPU's cpu_info.guest_regs (context.c copies them at a
 * switch).  kernel_mode says which of the guest's two halves runs: the guest
 * kernel (CR3 = guest_table) or guest user space (CR3 = guest_table_user);
 * both are ring 3 in hardware.
 */
#ifndef ARCH_DOMAIN_H
#define ARCH_DOMAIN_H

#include "types.h"
#include "arch/regs.h"
#include "xen_abi.h"

#define NR_GUEST_GDT_FRAMES 14          /* FIRST_RESERVED_GDT_PAGE */
#define NR_TRAPS            256

/* Saved FPU/SSE state (FXSAVE format). */
struct fpu_state {
    u8 fxsave[512];
} __aligned(16);

struct arch_vcpu {
    struct cpu_regs regs;          /* while not running */
    bool kernel_mode;

    /* Virtual IDT and callbacks. */
    struct trap_info traps[NR_TRAPS];
    u64 event_callback;
    u64 failsafe_callback;
    u64 syscall_callback;
    bool event_cb_masks, failsafe_cb_masks, syscall_cb_masks;   /* CALLBACKF_mask_events */
    volatile bool nmi_pending;     /* VCPUOP_send_nmi, not yet delivered */
    bool nmi_masked;               /* in the guest's NMI handler, until its iret */

    /* Virtual TSS: the guest kernel stack for bounces from user mode. */
    u64 kernel_ss, kernel_sp;

    /* Page tables (machine frames; 0 = none).  guest_table is pinned-or-referenced. */
    u64 guest_table;                    /* kernel L4 */
    u64 guest_table_user;               /* user L4 */

    /* Segments. */
    u64 fs_base, gs_base_kernel, gs_base_user;
    u16 ds, es, fs, gs;
    u64 gdt_frames[NR_GUEST_GDT_FRAMES];
    unsigned int gdt_ents;
    u64 ldt_base;                  /* MMUEXT_SET_LDT: guest address, entries */
    unsigned int ldt_ents;
    u64 ldt_frames[16];            /* its pages taken so far (descriptor type), 0 = not yet */

    /* I/O privilege (PHYSDEVOP_set_iopl), in EFLAGS.IOPL position. */
    u32 iopl;

    /* FPU: the guest's virtual CR0.TS, and the lazily switched state. */
    bool guest_ts;
    bool fpu_initialised;
    struct fpu_state fpu;

    u64 debugreg[8];
    u64 cr4_shadow;                     /* what the guest last wrote to CR4 */

    /* Counters for benchmarks. */
    u64 as_switches;
};

struct arch_domain {
    u64 vm_assist;
};

#endif
