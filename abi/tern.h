/*
 * abi/tern.h - Tern's additions to the Xen x86-64 PV ABI (abi/README.md).
 *
 * One hypercall, in a number Xen leaves unused (Xen answers -ENOSYS to it,
 * so a guest can tell which hypervisor it runs on):
 *
 *   long tern_op(unsigned int cmd, void *arg)       rax = 63, rdi = cmd, rsi = arg
 */
#ifndef TERN_ABI_TERN_H
#define TERN_ABI_TERN_H

#include <stdint.h>

#define __HYPERVISOR_tern_op        63

/* arg: struct tern_counters *, filled with the calling vCPU's counts.  0 or -EFAULT. */
#define TERNOP_get_counters         0
/* Check the calling domain's frame accounting against its page tables (pv/audit.c).
 * arg: NULL.  0 if consistent, -EIO if not (the hypervisor log names what). */
#define TERNOP_audit                1

struct tern_counters {
    uint64_t hypercalls;            /* entries by cause, since the vCPU started */
    uint64_t exceptions;
    uint64_t interrupts;
    uint64_t syscall_bounces;
    uint64_t as_switches;           /* CR3 loads for this vCPU */
    uint64_t domain_switches;       /* times it left its physical CPU */
    uint64_t ipis;                  /* IPIs its CPU sent while running it */
    uint64_t pcpus;                 /* bit n: it has run on physical CPU n (pinning checks) */
};

#endif
