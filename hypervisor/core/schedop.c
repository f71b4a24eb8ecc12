/*
 * schedop.c - the guest's scheduling and timer hypercalls: sched_op (yield,
 * block, poll, shutdown, shutdown_code, remote_shutdown), set_timer_op and
 * the vCPU timers behind VCPUOP_*_timer (vcpu_op.c).
 *
 * SCHEDOP_block enables event delivery and blocks atomically: the vCPU is
 * marked blocked before pending events are checked, and an event sets its
 * pending bits before it looks at the blocked flag (evtchn.c), so a wakeup
 * is never lost.  A timer fires on its vCPU's CPU: VIRQ_TIMER, which wakes
 * the vCPU; a deadline already past fires at once.
 */
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "lib.h"
#include "sched.h"
#include "time.h"
#include "console.h"
#include "arch/pv.h"

static void singleshot_fn(void *data)
{
    struct vcpu *v = data;
    send_guest_vcpu_virq(v, VIRQ_TIMER);
}

/* Xen's periodic timer: a tick is due period after the last one; while the
 * vCPU is not running the timer is stopped (a blocked vCPU is not woken by
 * it), and a tick that fell due meanwhile is sent when it runs again. */
static void periodic_work_locked(struct vcpu *v)
{
    stime_t t = now(), next = v->periodic_last + v->periodic_period;
    if (t >= next) {
        send_guest_vcpu_virq(v, VIRQ_TIMER);
        v->periodic_last = t;
        next = t + v->periodic_period;
    }
    timer_set(&v->periodic, next);
}

static void periodic_fn(void *data)
{
    vcpu_periodic_resume(data);
}

void vcpu_periodic_resume(struct vcpu *v)
{
    if (!READ_ONCE(v->periodic_period))
        return;
    u64 f = spin_lock_irqsave(&v->periodic_lock);
    if (v->periodic_period)
        periodic_work_locked(v);
    spin_unlock_irqrestore(&v->periodic_lock, f);
}

void vcpu_periodic_suspend(struct vcpu *v)
{
    if (READ_ONCE(v->periodic_period))
        timer_stop(&v->periodic);
}

void vcpu_set_periodic(struct vcpu *v, stime_t period)
{
    u64 f = spin_lock_irqsave(&v->periodic_lock);
    timer_stop(&v->periodic);
    v->periodic_period = period;
    if (period)
        periodic_work_locked(v);
    spin_unlock_irqrestore(&v->periodic_lock, f);
}

static void poll_timeout_fn(void *data)
{
    struct vcpu *v = data;
    if (v->poll_active)
        vcpu_pause_flag_clear(v, VPF_BLOCKED);
}

void vcpu_timers_init(struct vcpu *v)
{
    timer_init(&v->singleshot, singleshot_fn, v, v->processor);
    timer_init(&v->periodic, periodic_fn, v, v->processor);
    spin_lock_init(&v->periodic_lock);
    v->periodic_period = 10000000;          /* PV vCPUs tick at 100 Hz until told otherwise */
    timer_init(&v->poll_timeout, poll_timeout_fn, v, v->processor);
}

void vcpu_timers_stop(struct vcpu *v)
{
    timer_kill(&v->singleshot);
    timer_kill(&v->periodic);
    timer_kill(&v->poll_timeout);
}

/* Xen's system time is the guest's: deadlines are nanoseconds since boot. */
void vcpu_set_singleshot(struct vcpu *v, stime_t deadline)
{
    timer_set(&v->singleshot, deadline);
}

/* Xen's watchdogs: id 0 allocates one (returns its id), a timeout of 0 frees
 * it, anything else re-arms it; when one expires the domain is shut down with
 * SHUTDOWN_watchdog. */
static void watchdog_fired(void *data)
{
    struct domain *d = data;
    printk("Tern: watchdog of domain %u (%s) expired\n", d->domain_id, d->name);
    domain_shutdown(d, SHUTDOWN_watchdog);
}

void domain_watchdogs_init(struct domain *d)
{
    for (u32 i = 0; i < NR_WATCHDOGS; i++)
        timer_init(&d->watchdog[i], watchdog_fired, d, 0);
}

long domain_watchdog(struct domain *d, u32 id, u32 timeout)
{
    if (id > NR_WATCHDOGS)
        return -EINVAL;
    u64 f = spin_lock_irqsave(&d->watchdog_lock);
    long rc;
    if (id == 0) {
        /* Xen 4.17 answers -ENOSPC through an unsigned int: the guest gets
         * 0xffffffe4, not -28. */
        rc = (long)(u32)-ENOSPC;
        for (u32 i = 0; i < NR_WATCHDOGS; i++) {
            if (d->watchdog_inuse & (1u << i))
                continue;
            d->watchdog_inuse |= 1u << i;
            timer_set(&d->watchdog[i], now() + (stime_t)timeout * 1000000000ll);
            rc = i + 1;
            break;
        }
    } else if (!(d->watchdog_inuse & (1u << (id - 1)))) {
        rc = -EINVAL;
    } else if (timeout == 0) {
        timer_stop(&d->watchdog[id - 1]);
        d->watchdog_inuse &= ~(1u << (id - 1));
        rc = 0;
    } else {
        timer_set(&d->watchdog[id - 1], now() + (stime_t)timeout * 1000000000ll);
        rc = 0;
    }
    spin_unlock_irqrestore(&d->watchdog_lock, f);
    return rc;
}

long do_set_timer_op(u64 timeout, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    stime_t deadline = (stime_t)timeout, t = now();
    if (deadline == 0)
        timer_stop(&v->singleshot);
    else if (deadline < 0 || (deadline > t && ((u64)(deadline - t) >> 50) != 0))
        timer_set(&v->singleshot, t + 100000000);   /* Xen's workaround for wrapped jiffies */
    else
        timer_set(&v->singleshot, deadline);
    return 0;
}

static void vcpu_block(struct vcpu *v)
{
    v->vcpu_info->evtchn_upcall_mask = 0;
    __atomic_fetch_or(&v->pause_flags, VPF_BLOCKED, __ATOMIC_SEQ_CST);
    if (vcpu_events_pending(v))
        __atomic_fetch_and(&v->pause_flags, ~VPF_BLOCKED, __ATOMIC_SEQ_CST);
    else
        vcpu_sleep(v);
}

static long do_poll(struct vcpu *v, u64 arg)
{
    struct sched_poll p;
    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports > 128)
        return -EINVAL;
    u32 ports[128];
    if (copy_from_guest(ports, (u64)(uintptr_t)p.ports.p, p.nr_ports * sizeof(u32)))
        return -EFAULT;
    v->poll_active = true;
    __atomic_fetch_or(&v->pause_flags, VPF_BLOCKED, __ATOMIC_SEQ_CST);
    /* Blocked first, then looked: an event sent meanwhile wakes us. */
    long rc = vcpu_events_pending(v) ? 1 : evtchn_poll_ports(v->domain, ports, p.nr_ports);
    if (rc) {
        __atomic_fetch_and(&v->pause_flags, ~VPF_BLOCKED, __ATOMIC_SEQ_CST);
        v->poll_active = false;
        return rc < 0 ? rc : 0;
    }
    if (p.timeout) {
        if ((stime_t)p.timeout <= now()) {
            __atomic_fetch_and(&v->pause_flags, ~VPF_BLOCKED, __ATOMIC_SEQ_CST);
            v->poll_active = false;
            return 0;
        }
        timer_set(&v->poll_timeout, (stime_t)p.timeout);
    }
    vcpu_sleep(v);
    return 0;
}

long do_sched_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    struct domain *d = v->domain;

    switch ((int)cmd) {
    case SCHEDOP_yield:
        sched_yield_current();
        return 0;
    case SCHEDOP_block:
        vcpu_block(v);
        return 0;
    case SCHEDOP_shutdown: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        if (s.reason == SHUTDOWN_crash)
            d->crashed = false;
        domain_shutdown(d, s.reason);
        return 0;
    }
    case SCHEDOP_shutdown_code: {
        struct sched_shutdown s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.reason > SHUTDOWN_MAX)
            return -EINVAL;
        d->shutdown_code = s.reason;
        return 0;
    }
    case SCHEDOP_poll:
        return do_poll(v, arg);
    case SCHEDOP_watchdog: {
        struct sched_watchdog w;
        if (copy_from_guest(&w, arg, sizeof(w)))
            return -EFAULT;
        return domain_watchdog(d, w.id, w.timeout);
    }
    case SCHEDOP_remote_shutdown: {
        struct sched_remote_shutdown r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        if (!d->is_privileged)
            return -EPERM;
        if (r.reason > SHUTDOWN_MAX)
            return -EINVAL;
        struct domain *t = get_domain_by_id(r.domain_id);
        if (!t)
            return -ESRCH;
        domain_shutdown(t, r.reason);
        put_domain(t);
        return 0;
    }
    }
    return -ENOSYS;
}
