/*
 * evtchn.h - event channels, Xen's 2-level ABI.
 *
 * Ports 1..EVTCHN_NR_PORTS-1 of a domain; port 0 is reserved.  A pending
 * event sets its bit in shared_info.evtchn_pending; if the port is not
 * masked, the bit of its word in the vCPU's evtchn_pending_sel and then
 * evtchn_upcall_pending, and the vCPU is kicked (woken if blocked, or made to
 * look at its events if running elsewhere).  Every update of guest-shared
 * bits is a locked operation.  A port may also be bound to the hypervisor
 * itself (the console backend): sends on it call a handler.
 */
#ifndef TERN_EVTCHN_H
#define TERN_EVTCHN_H

#include "types.h"
#include "spinlock.h"
#include "xen_abi.h"
#include "config.h"

struct domain;
struct vcpu;

#define EVTCHN_NR_PORTS     (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)   /* 4096 */

enum { ECS_FREE, ECS_RESERVED, ECS_UNBOUND, ECS_INTERDOMAIN, ECS_PIRQ, ECS_VIRQ, ECS_IPI,
       ECS_HV };

typedef void (*evtchn_hv_handler_t)(struct domain *d, unsigned int port);

struct evtchn {
    u8 state;
    u16 notify_vcpu;
    union {
        domid_t remote_domid;                           /* unbound */
        struct { domid_t dom; u16 port; } interdomain;
        u16 virq;
        evtchn_hv_handler_t hv;                         /* bound to the hypervisor */
    } u;
};

struct evtchn_domain {
    spinlock_t lock;
    struct evtchn port[EVTCHN_NR_PORTS];
    u16 virq_port[CFG_MAX_VCPUS][NR_VIRQS];
};

int evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);
/* Raise an event on a port of d (hypervisor side). */
void evtchn_set_pending_port(struct domain *d, unsigned int port);
/* VIRQs: per-vCPU ones go to that vCPU, global ones to their bound vCPU. */
void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq);
void send_guest_global_virq(struct domain *d, unsigned int virq);
/* A port whose remote end is the hypervisor (the console backend). */
int evtchn_alloc_hv_port(struct domain *d, evtchn_hv_handler_t fn);
/* Events pending and deliverable for v (upcall pending, not masked). */
bool vcpu_events_pending(const struct vcpu *v);
/* SCHEDOP_poll's look at its ports: 1 one is pending, 0 none, -EINVAL one
 * is not a port of the guest's. */
long evtchn_poll_ports(struct domain *d, const u32 *ports, unsigned int n);

#endif
