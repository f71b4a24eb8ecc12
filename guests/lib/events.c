/*
 * events.c - event channels of a PV guest (2-level ABI) and the upcall.
 *
 * Xen enters VEC_EVENT with events masked (vcpu_info.evtchn_upcall_mask = 1);
 * evtchn_upcall clears evtchn_upcall_pending, takes the selector word, and for
 * each pending unmasked port clears its bit and calls its handler.  The return
 * through HYPERVISOR_iret restores the mask from the saved RFLAGS.IF.
 * Natively there are no event channels: events_enable/disable are sti/cli.
 */
#include "guest.h"

#define NR_PORTS (sizeof(shared_info->evtchn_pending) * 8)

static evtchn_handler_t handlers[1024];
u64 upcalls;
void (*evtchn_upcall_hook)(void);

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn)
{
    if (port < ARRAY_SIZE(handlers))
        handlers[port] = fn;
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
    vcpu_info_t *v = vcpu0();
    upcalls++;
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
    vcpu_info_t *v = vcpu0();
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
    WRITE_ONCE(vcpu0()->evtchn_upcall_mask, 1);
    BARRIER();
}
