/*
 * events.c - event channels of a PV guest (2-level ABI) and the upcall.
 *
 * Xen enters VEC_EVENT with events masked (vcpu_info.evtchn_upcall_mask = 1);
 * evtchn_upcall clears evtchn_upcall_pending, takes the selector word, and for
 * each pending unmasked port clears its bit and calls its handler.  The return
 * through HYPERVISOR_iret restores the mask from the saved RFLAGS.IF.
 * Natively there are no event channels: events_enable/disable are sti/cli.
 *
 * Several vCPUs (smp.c): evtchn_pending and evtchn_mask are the domain's,
 * the selector, upcall_pending and upcall_mask are each vCPU's own
 * (vcpu_info slot = vCPU id).  An upcall handles only the ports bound to its
 * vCPU (evtchn_set_cpu); another vCPU's port in the same word stays pending
 * for that vCPU, whose selector says so.
 */
#include "guest.h"

#define NR_PORTS (sizeof(shared_info->evtchn_pending) * 8)

static evtchn_handler_t handlers[1024];
static u8 port_cpu[1024];
u64 upcalls;
void (*evtchn_upcall_hook)(void);

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn)
{
    if (port < ARRAY_SIZE(handlers))
        handlers[port] = fn;
}

void evtchn_set_cpu(evtchn_port_t port, unsigned cpu)
{
    if (port < ARRAY_SIZE(port_cpu))
        port_cpu[port] = (u8)cpu;
}

void evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask u = { .port = port };
    HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &u);
}

long evtchn_send(evtchn_port_t port)
{
    struct evtchn_send s = { .port = port };
    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

void evtchn_upcall(void)
{
    unsigned cpu = smp_cpu_id();
    vcpu_info_t *v = &shared_info->vcpu_info[cpu];
    __atomic_fetch_add(&upcalls, 1, __ATOMIC_RELAXED);
    if (evtchn_upcall_hook)
        evtchn_upcall_hook();
    WRITE_ONCE(v->evtchn_upcall_pending, 0);
    unsigned long sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
        unsigned w = (unsigned)__builtin_ctzl(sel);
        sel &= sel - 1;
        unsigned long pend = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w];
        while (pend) {
            unsigned b = (unsigned)__builtin_ctzl(pend);
            pend &= pend - 1;
            evtchn_port_t port = w * 64 + b;
            if (port < ARRAY_SIZE(port_cpu) && port_cpu[port] != cpu)
                continue;                       /* another vCPU's */
            __atomic_fetch_and(&shared_info->evtchn_pending[w], ~(1UL << b), __ATOMIC_SEQ_CST);
            if (port < ARRAY_SIZE(handlers) && handlers[port])
                handlers[port](port);
        }
    }
}

void events_enable(void)
{
    if (!platform_is_pv) {
        __asm__ volatile("sti" ::: "memory");
        return;
    }
    vcpu_info_t *v = this_vcpu();
    WRITE_ONCE(v->evtchn_upcall_mask, 0);
    mb();
    /* Anything that arrived while masked: any hypercall returns through the
     * upcall check. */
    if (READ_ONCE(v->evtchn_upcall_pending))
        HYPERVISOR_xen_version(XENVER_version, NULL);
}

void events_disable(void)
{
    if (!platform_is_pv) {
        __asm__ volatile("cli" ::: "memory");
        return;
    }
    WRITE_ONCE(this_vcpu()->evtchn_upcall_mask, 1);
    BARRIER();
}
