/*
 * ternop.c - tern_op, Tern's own hypercall (abi/tern.h): the counters that
 * benchmarks read, and the frame-accounting audit that fuzzers ask for.
 */
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "console.h"
#include "mm.h"
#include "tern.h"

_Static_assert(sizeof(struct tern_counters) == sizeof(struct vcpu_stats), "counters");

long do_tern_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    switch ((u32)cmd) {
    case TERNOP_get_counters: {
        struct tern_counters c = {
            .hypercalls = v->stats.hypercalls, .exceptions = v->stats.exceptions,
            .interrupts = v->stats.interrupts, .syscall_bounces = v->stats.syscall_bounces,
            .as_switches = v->stats.as_switches, .domain_switches = v->stats.domain_switches,
            .ipis = v->stats.ipis, .pcpus = v->stats.pcpus,
        };
        return copy_to_guest(arg, &c, sizeof(c)) ? -EFAULT : 0;
    }
    case TERNOP_audit: {
        char why[160];
        struct domain *d = v->domain;
        spin_lock(&d->mm_lock);
        bool ok = mm_audit_domain(d, why, sizeof(why));
        spin_unlock(&d->mm_lock);
        if (!ok)
            printk("Tern: domain %u (%s): frame audit failed: %s\n", d->domain_id, d->name, why);
        return ok ? 0 : -EIO;
    }
    }
    return -ENOSYS;
}
