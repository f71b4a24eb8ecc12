/*
 * hypercall.h - hypercall dispatch (table generated from abi/hypercalls.list)
 * and continuations of preempted hypercalls.
 */
#ifndef TERN_HYPERCALL_H
#define TERN_HYPERCALL_H

#include "types.h"
#include "arch/regs.h"

typedef long (*hypercall_fn_t)(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

struct hypercall_desc {
    hypercall_fn_t fn;
    u8 privileged;
    const char *name;
};

void do_hypercall(struct cpu_regs *regs);
/* Dispatch one call (also for multicall entries); -ENOSYS/-EPERM as Xen. */
long hypercall_dispatch(u64 nr, const u64 args[5]);

/*
 * Arrange for the guest to issue the hypercall again with these arguments
 * (its rip goes back to the syscall instruction).  Returns the value the
 * handler must return (rax: the hypercall number).  hypercall_preempt_check
 * never asks for one inside a multicall.
 */
long hypercall_create_continuation(u64 nr, unsigned int nargs, const u64 args[5]);
/* True when a long-running hypercall should give the CPU back. */
bool hypercall_preempt_check(void);

#endif
