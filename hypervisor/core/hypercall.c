/*
 * hypercall.c - the hypercall table, dispatch, multicall and continuations.
 *
 * do_hypercall reads the number from rax and up to five arguments (rdi, rsi,
 * rdx, r10, r8), checks the number against the table (-ENOSYS for any Xen
 * does not implement here either) and the caller's privilege (-EPERM), and
 * stores the result in rax.  A handler that has to stop half-way (a long
 * batch) creates a continuation: the guest re-executes the syscall with
 * updated arguments, so nothing waits on a hypervisor stack.
 */
#include "hypercall.h"
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "lib.h"
#include "softirq.h"
#include "percpu.h"
#include "xen_abi.h"
#include "arch/pv.h"
#include "hypercall_table.h"
#include "console.h"

/* The entry path (pv/entry.S) dispatches from these directly. */
HYPERCALL_FAST_TABLE

/* Inside a multicall nothing is preempted: entries run to completion. */
static bool in_multicall[NR_CPUS];

long hypercall_dispatch(u64 nr, const u64 a[5])
{
    if (nr >= NR_HYPERCALLS || !hypercall_table[nr].fn)
        return -ENOSYS;
    if (hypercall_table[nr].privileged && !current->domain->is_privileged)
        return -EPERM;
    return hypercall_table[nr].fn(a[0], a[1], a[2], a[3], a[4]);
}

bool hypercall_trace;        /* hypervisor command line: hypercall_trace */

void do_hypercall(struct cpu_regs *regs)
{
    u64 args[5] = { regs->rdi, regs->rsi, regs->rdx, regs->r10, regs->r8 };
    u64 nr = regs->rax;
    regs->rax = (u64)hypercall_dispatch(nr, args);
    if (unlikely(hypercall_trace))
        printk("d%u hypercall %llu %s(%#llx, %#llx, %#llx, %#llx) = %lld at %#llx\n",
               current->domain->domain_id, (unsigned long long)nr,
               nr < NR_HYPERCALLS && hypercall_table[nr].name ? hypercall_table[nr].name : "?",
               (unsigned long long)args[0], (unsigned long long)args[1],
               (unsigned long long)args[2], (unsigned long long)args[3],
               (long long)regs->rax, (unsigned long long)regs->rip);
}

bool hypercall_preempt_check(void)
{
    /* As Xen: work for the CPU, or an event the guest should get now. */
    return !in_multicall[smp_processor_id()] &&
           (softirq_pending() || vcpu_events_pending(current));
}

long hypercall_create_continuation(u64 nr, unsigned int nargs, const u64 args[5])
{
    struct cpu_regs *regs = guest_regs();
    regs->rip -= 2;                         /* back onto the syscall instruction */
    regs->rax = nr;
    u64 *dst[5] = { &regs->rdi, &regs->rsi, &regs->rdx, &regs->r10, &regs->r8 };
    for (unsigned int i = 0; i < nargs && i < 5; i++)
        *dst[i] = args[i];
    return (long)nr;
}

/* Entries run in order; each result goes back into its entry.  Between
 * entries the multicall itself may be continued. */
long do_multicall(u64 list, u64 nr_calls, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    unsigned int cpu = smp_processor_id();
    if (in_multicall[cpu])
        return -EINVAL;

    for (u64 i = 0; i < (u32)nr_calls; i++) {
        struct multicall_entry e;
        u64 addr = list + i * sizeof(e);
        if (copy_from_guest(&e, addr, sizeof(e)))
            return -EFAULT;
        in_multicall[cpu] = true;
        long r = e.op == __HYPERVISOR_multicall ? -EINVAL
                                                : hypercall_dispatch(e.op, (const u64 *)e.args);
        in_multicall[cpu] = false;
        e.result = (xen_ulong_t)r;
        if (copy_to_guest(addr + __builtin_offsetof(struct multicall_entry, result),
                          &e.result, sizeof(e.result)))
            return -EFAULT;
        if (current->domain->state != DOM_RUNNING)
            break;
        if (i + 1 < (u32)nr_calls && hypercall_preempt_check()) {
            u64 args[5] = { addr + sizeof(e), nr_calls - i - 1, 0, 0, 0 };
            return hypercall_create_continuation(__HYPERVISOR_multicall, 2, args);
        }
    }
    return 0;
}
