/*
 * vcpu_op.c - VCPUOP_*: bringing vCPUs up and down, where their vcpu_info
 * and runstate live, their timers.  A vCPU id that does not exist: -ENOENT.
 */
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "heap.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "softirq.h"
#include "time.h"
#include "arch/mm.h"
#include "arch/pv.h"

void vcpu_update_runstate_area(struct vcpu *v)
{
    if (!v->runstate_area)
        return;
    struct vcpu_runstate_info r = v->runstate;
    (void)copy_to_guest(v->runstate_area, &r, sizeof(r));
}

static long register_vcpu_info(struct vcpu *v, u64 arg)
{
    struct vcpu_register_vcpu_info info;
    if (copy_from_guest(&info, arg, sizeof(info)))
        return -EFAULT;
    if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info) || (info.offset & 7))
        return -ENXIO;
    if (v->vcpu_info_mfn)
        return -EINVAL;
    if (v != current && !(v->pause_flags & VPF_DOWN))
        return -EINVAL;
    struct domain *d = v->domain;
    struct page_info *pg = get_page_from_mfn(info.mfn, d);
    if (!pg)
        return -EINVAL;
    spin_lock(&d->mm_lock);
    int rc = get_page_type(pg, PGT_writable_page);
    spin_unlock(&d->mm_lock);
    if (rc) {
        put_page(pg);
        return -EINVAL;
    }
    struct vcpu_info *ni = (struct vcpu_info *)((u8 *)mfn_to_virt(_mfn(info.mfn)) + info.offset);
    memcpy(ni, v->vcpu_info, sizeof(*ni));
    struct vcpu_info *old = v->vcpu_info;
    __atomic_store_n(&v->vcpu_info, ni, __ATOMIC_RELEASE);
    v->vcpu_info_mfn = info.mfn;
    if (v->vcpu_id >= XEN_LEGACY_MAX_VCPUS)
        xfree(old);
    /* Mark everything pending: nothing delivered to the old place is lost. */
    __atomic_store_n(&ni->evtchn_pending_sel, ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ni->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    update_vcpu_system_time(v);
    return 0;
}

long do_vcpu_op(u64 cmd, u64 vcpuid, u64 arg, u64 a4, u64 a5)
{
    (void)a4; (void)a5;
    struct domain *d = current->domain;
    if ((u32)vcpuid >= d->max_vcpus)
        return -ENOENT;
    struct vcpu *v = d->vcpu[(u32)vcpuid];

    switch ((int)cmd) {
    case VCPUOP_initialise:
        return pv_vcpu_initialise(v, arg);
    case VCPUOP_up:
        if (!v->is_initialised)
            return -EINVAL;
        if (v->pause_flags & VPF_DOWN)
            vcpu_pause_flag_clear(v, VPF_DOWN);
        return 0;
    case VCPUOP_down: {
        bool others_up = false;
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (i != v->vcpu_id && !(d->vcpu[i]->pause_flags & VPF_DOWN))
                others_up = true;
        if (!others_up) {
            domain_shutdown(d, SHUTDOWN_poweroff);
            return 0;
        }
        if (!(v->pause_flags & VPF_DOWN))
            vcpu_pause_flag_set(v, VPF_DOWN);
        return 0;
    }
    case VCPUOP_is_up:
        return !(v->pause_flags & VPF_DOWN);
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info r = v->runstate;
        return copy_to_guest(arg, &r, sizeof(r)) ? -EFAULT : 0;
    }
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        if (!guest_range_ok(a.addr.p, sizeof(struct vcpu_runstate_info)))
            return -EFAULT;
        v->runstate_area = a.addr.p;
        struct vcpu_runstate_info r = v->runstate;
        if (v == current)
            (void)copy_to_guest(a.addr.p, &r, sizeof(r));
        return 0;
    }
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        if (copy_from_guest(&p, arg, sizeof(p)))
            return -EFAULT;
        if (p.period_ns < 1000000 || p.period_ns >= (1ull << 62))
            return -EINVAL;
        vcpu_set_periodic(v, (stime_t)p.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        vcpu_set_periodic(v, 0);
        return 0;
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer s;
        if (v != current)
            return -EINVAL;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if ((stime_t)s.timeout_abs_ns < now()) {
            /* Already expired: deliver at once. */
            timer_stop(&v->singleshot);
            send_guest_vcpu_virq(v, VIRQ_TIMER);
            return 0;
        }
        timer_set(&v->singleshot, (stime_t)s.timeout_abs_ns);
        return 0;
    }
    case VCPUOP_stop_singleshot_timer:
        if (v != current)
            return -EINVAL;
        timer_stop(&v->singleshot);
        return 0;
    case VCPUOP_register_vcpu_info:
        return register_vcpu_info(v, arg);
    case VCPUOP_send_nmi:
        if (arg)
            return -EINVAL;
        if (!__atomic_exchange_n(&v->arch.nmi_pending, true, __ATOMIC_SEQ_CST)) {
            vcpu_pause_flag_clear(v, VPF_BLOCKED);      /* an NMI wakes a blocked vCPU */
            softirq_raise_on(v->processor, SOFTIRQ_NMI);
        }
        return 0;
    case VCPUOP_register_vcpu_time_memory_area: {
        struct vcpu_register_time_memory_area a;
        if (copy_from_guest(&a, arg, sizeof(a)))
            return -EFAULT;
        if (!guest_range_ok(a.addr.p, sizeof(struct vcpu_time_info)))
            return -EFAULT;
        v->time_area = a.addr.p;
        if (v == current)
            update_vcpu_system_time(v);
        return 0;
    }
    }
    return -ENOSYS;
}
