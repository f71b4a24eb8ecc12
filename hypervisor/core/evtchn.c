/*
 * evtchn.c - event channels (evtchn.h), with Xen's answers:
 *  - bad port numbers, free or reserved ports, sends on VIRQ ports: -EINVAL;
 *  - a vCPU that does not exist: -ENOENT; a VIRQ bound twice: -EEXIST;
 *    a global VIRQ on a vCPU other than 0: -EINVAL; an unknown VIRQ: -EINVAL;
 *  - another domain that does not exist: -ESRCH; binding to a port that is
 *    not unbound for us: -EINVAL; no free port: -ENOSPC;
 *  - FIFO operations (init_control, expand_array, set_priority): -ENOSYS,
 *    Xen's answer when FIFO event channels are unavailable.
 * One lock per domain; an interdomain operation takes both, lower id first.
 */
#include "evtchn.h"
#include "domain.h"
#include "guest_access.h"
#include "heap.h"
#include "lib.h"
#include "sched.h"
#include "softirq.h"
#include "ipi.h"
#include "percpu.h"

#define BITS_PER_WORD   (sizeof(xen_ulong_t) * 8)

static bool virq_is_global(unsigned int virq)
{
    return !(virq == VIRQ_TIMER || virq == VIRQ_DEBUG || virq == VIRQ_XENOPROF ||
             virq == VIRQ_XENPMU);
}

int evtchn_domain_init(struct domain *d)
{
    d->evtchn = xzalloc(sizeof(struct evtchn_domain));
    if (!d->evtchn)
        return -ENOMEM;
    spin_lock_init(&d->evtchn->lock);
    d->evtchn->port[0].state = ECS_RESERVED;
    return 0;
}

static struct evtchn *port_of(struct domain *d, u64 port)
{
    return port < EVTCHN_NR_PORTS ? &d->evtchn->port[port] : NULL;
}

static int get_free_port(struct domain *d)
{
    for (unsigned int p = 1; p < EVTCHN_NR_PORTS; p++)
        if (d->evtchn->port[p].state == ECS_FREE)
            return (int)p;
    return -ENOSPC;
}

static void lock_two(struct domain *a, struct domain *b, u64 *fa, u64 *fb)
{
    if (a == b) {
        *fa = spin_lock_irqsave(&a->evtchn->lock);
    } else if (a->domain_id < b->domain_id) {
        *fa = spin_lock_irqsave(&a->evtchn->lock);
        *fb = spin_lock_irqsave(&b->evtchn->lock);
    } else {
        *fb = spin_lock_irqsave(&b->evtchn->lock);
        *fa = spin_lock_irqsave(&a->evtchn->lock);
    }
}

static void unlock_two(struct domain *a, struct domain *b, u64 fa, u64 fb)
{
    if (a == b) {
        spin_unlock_irqrestore(&a->evtchn->lock, fa);
    } else if (a->domain_id < b->domain_id) {
        spin_unlock_irqrestore(&b->evtchn->lock, fb);
        spin_unlock_irqrestore(&a->evtchn->lock, fa);
    } else {
        spin_unlock_irqrestore(&a->evtchn->lock, fa);
        spin_unlock_irqrestore(&b->evtchn->lock, fb);
    }
}

/* ---- delivery (2-level) ---- */

static bool test_and_set(xen_ulong_t *word, unsigned int bit)
{
    xen_ulong_t m = (xen_ulong_t)1 << bit;
    return __atomic_fetch_or(word, m, __ATOMIC_SEQ_CST) & m;
}

static bool test(const xen_ulong_t *word, unsigned int bit)
{
    return __atomic_load_n(word, __ATOMIC_SEQ_CST) & ((xen_ulong_t)1 << bit);
}

/* The vCPU has events to look at: wake it, or make its CPU look. */
static void vcpu_kick(struct vcpu *v)
{
    if (v->pause_flags & VPF_BLOCKED) {
        vcpu_pause_flag_clear(v, VPF_BLOCKED);
        return;
    }
    if (v->is_running && v->processor != smp_processor_id())
        ipi_kick(v->processor);
}

static void mark_pending(struct vcpu *v)
{
    if (!__atomic_exchange_n(&v->vcpu_info->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
        vcpu_kick(v);
    else if (v->poll_active)
        vcpu_kick(v);
}

static void set_pending(struct domain *d, struct vcpu *v, unsigned int port)
{
    struct shared_info *s = d->shared_info;
    if (test_and_set(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD)) {
        if (v->poll_active)
            vcpu_kick(v);
        return;
    }
    if (!test(&s->evtchn_mask[port / BITS_PER_WORD], port % BITS_PER_WORD) &&
        !test_and_set(&v->vcpu_info->evtchn_pending_sel, port / BITS_PER_WORD))
        mark_pending(v);
    else if (v->poll_active)
        vcpu_kick(v);
}

void evtchn_set_pending_port(struct domain *d, unsigned int port)
{
    struct evtchn *c = port_of(d, port);
    if (!c || d->state != DOM_RUNNING || c->notify_vcpu >= d->max_vcpus)
        return;
    set_pending(d, d->vcpu[c->notify_vcpu], port);
}

bool vcpu_events_pending(const struct vcpu *v)
{
    return v->vcpu_info->evtchn_upcall_pending && !v->vcpu_info->evtchn_upcall_mask;
}

/* As Xen, port by port in order: the first that is not the guest's own
 * (out of range, free, reserved, the hypervisor's) is -EINVAL, the first
 * pending one ends the search. */
long evtchn_poll_ports(struct domain *d, const u32 *ports, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        u32 p = ports[i];
        if (p >= EVTCHN_NR_PORTS)
            return -EINVAL;
        u8 state = READ_ONCE(d->evtchn->port[p].state);
        if (state == ECS_FREE || state == ECS_RESERVED || state == ECS_HV)
            return -EINVAL;
        if (test(&d->shared_info->evtchn_pending[p / BITS_PER_WORD], p % BITS_PER_WORD))
            return 1;
    }
    return 0;
}

void send_guest_vcpu_virq(struct vcpu *v, unsigned int virq)
{
    struct domain *d = v->domain;
    unsigned int port = d->evtchn->virq_port[v->vcpu_id][virq];
    if (port)
        set_pending(d, v, port);
}

void send_guest_global_virq(struct domain *d, unsigned int virq)
{
    unsigned int port = d->evtchn->virq_port[0][virq];
    if (!port)
        return;
    struct evtchn *c = &d->evtchn->port[port];
    set_pending(d, d->vcpu[c->notify_vcpu < d->max_vcpus ? c->notify_vcpu : 0], port);
}

int evtchn_alloc_hv_port(struct domain *d, evtchn_hv_handler_t fn)
{
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    int p = get_free_port(d);
    if (p > 0) {
        d->evtchn->port[p].state = ECS_HV;
        d->evtchn->port[p].notify_vcpu = 0;
        d->evtchn->port[p].u.hv = fn;
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    return p;
}

/* ---- operations ---- */

/* The domain an operation names, with a reference (put_domain). */
static struct domain *domain_of(domid_t id)
{
    struct domain *cur = current->domain;
    if (id == DOMID_SELF || id == cur->domain_id) {
        get_domain(cur);
        return cur;
    }
    return get_domain_by_id(id);
}

static long evtchn_alloc_unbound(struct evtchn_alloc_unbound *a)
{
    struct domain *cur = current->domain;
    struct domain *d = domain_of(a->dom);
    if (!d)
        return -ESRCH;
    if (d != cur && !cur->is_privileged) {
        put_domain(d);
        return -EPERM;
    }
    domid_t remote = a->remote_dom == DOMID_SELF ? cur->domain_id : a->remote_dom;
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    int p = get_free_port(d);
    if (p > 0) {
        d->evtchn->port[p].state = ECS_UNBOUND;
        d->evtchn->port[p].notify_vcpu = 0;
        d->evtchn->port[p].u.remote_domid = remote;
        a->port = (evtchn_port_t)p;
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    put_domain(d);
    return p < 0 ? p : 0;
}

static long evtchn_bind_interdomain(struct evtchn_bind_interdomain *b)
{
    struct domain *ld = current->domain;
    struct domain *rd = domain_of(b->remote_dom);
    if (!rd)
        return -ESRCH;
    u64 fl = 0, fr = 0;
    long rc = 0;
    lock_two(ld, rd, &fl, &fr);
    struct evtchn *rc_ = port_of(rd, b->remote_port);
    int lp = get_free_port(ld);
    if (lp < 0) {
        rc = lp;
    } else if (!rc_ || rc_->state != ECS_UNBOUND || rc_->u.remote_domid != ld->domain_id) {
        rc = -EINVAL;
    } else {
        struct evtchn *lc = &ld->evtchn->port[lp];
        lc->state = ECS_INTERDOMAIN;
        lc->notify_vcpu = 0;
        lc->u.interdomain.dom = rd->domain_id;
        lc->u.interdomain.port = (u16)b->remote_port;
        rc_->state = ECS_INTERDOMAIN;
        rc_->u.interdomain.dom = ld->domain_id;
        rc_->u.interdomain.port = (u16)lp;
        b->local_port = (evtchn_port_t)lp;
    }
    unlock_two(ld, rd, fl, fr);
    put_domain(rd);
    if (!rc)
        set_pending(ld, ld->vcpu[0], b->local_port);   /* as Xen: the new port starts pending */
    return rc;
}

static long evtchn_bind_virq(struct evtchn_bind_virq *b)
{
    struct domain *d = current->domain;
    if (b->virq >= NR_VIRQS)
        return -EINVAL;
    if (virq_is_global(b->virq) && b->vcpu != 0)
        return -EINVAL;
    if (b->vcpu >= d->max_vcpus)
        return -ENOENT;
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    long rc = 0;
    if (d->evtchn->virq_port[b->vcpu][b->virq]) {
        rc = -EEXIST;
    } else {
        int p = get_free_port(d);
        if (p < 0) {
            rc = p;
        } else {
            d->evtchn->port[p].state = ECS_VIRQ;
            d->evtchn->port[p].notify_vcpu = (u16)b->vcpu;
            d->evtchn->port[p].u.virq = (u16)b->virq;
            d->evtchn->virq_port[b->vcpu][b->virq] = (u16)p;
            b->port = (evtchn_port_t)p;
        }
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    return rc;
}

static long evtchn_bind_ipi(struct evtchn_bind_ipi *b)
{
    struct domain *d = current->domain;
    if (b->vcpu >= d->max_vcpus)
        return -ENOENT;
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    int p = get_free_port(d);
    if (p > 0) {
        d->evtchn->port[p].state = ECS_IPI;
        d->evtchn->port[p].notify_vcpu = (u16)b->vcpu;
        b->port = (evtchn_port_t)p;
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    return p < 0 ? p : 0;
}

/* Close a port of d1 (guest: a hypervisor-bound port cannot be closed). */
static long evtchn_close_port(struct domain *d1, u64 port, bool guest)
{
    struct evtchn *c = port_of(d1, port);
    if (!c)
        return -EINVAL;
    u64 f = spin_lock_irqsave(&d1->evtchn->lock);
    u8 state = c->state;
    if (state == ECS_FREE || state == ECS_RESERVED || (state == ECS_HV && guest)) {
        spin_unlock_irqrestore(&d1->evtchn->lock, f);
        return -EINVAL;
    }
    if (state == ECS_INTERDOMAIN) {
        domid_t rid = c->u.interdomain.dom;
        u16 rport = c->u.interdomain.port;
        spin_unlock_irqrestore(&d1->evtchn->lock, f);
        struct domain *d2 = rid == d1->domain_id ? d1 : get_domain_by_id(rid);
        if (d2 == d1)
            get_domain(d1);
        if (!d2) {
            f = spin_lock_irqsave(&d1->evtchn->lock);
            memset(c, 0, sizeof(*c));
            spin_unlock_irqrestore(&d1->evtchn->lock, f);
            return 0;
        }
        u64 fa = 0, fb = 0;
        lock_two(d1, d2, &fa, &fb);
        long rc = 0;
        if (c->state == ECS_INTERDOMAIN && c->u.interdomain.dom == rid) {
            struct evtchn *c2 = &d2->evtchn->port[rport];
            if (c2->state == ECS_INTERDOMAIN && c2->u.interdomain.dom == d1->domain_id) {
                c2->state = ECS_UNBOUND;
                c2->u.remote_domid = d1->domain_id;
            }
            memset(c, 0, sizeof(*c));
        } else {
            rc = -EINVAL;
        }
        unlock_two(d1, d2, fa, fb);
        put_domain(d2);
        return rc;
    }
    if (state == ECS_VIRQ) {
        unsigned int v = virq_is_global(c->u.virq) ? 0 : c->notify_vcpu;
        d1->evtchn->virq_port[v][c->u.virq] = 0;
    }
    memset(c, 0, sizeof(*c));
    spin_unlock_irqrestore(&d1->evtchn->lock, f);
    return 0;
}

static long evtchn_send(struct domain *d, u64 port)
{
    struct evtchn *c = port_of(d, port);
    if (!c)
        return -EINVAL;
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    struct evtchn snap = *c;
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    switch (snap.state) {
    case ECS_INTERDOMAIN: {
        struct domain *rd = get_domain_by_id(snap.u.interdomain.dom);
        if (rd) {
            evtchn_set_pending_port(rd, snap.u.interdomain.port);
            put_domain(rd);
        }
        return 0;
    }
    case ECS_IPI:
        set_pending(d, d->vcpu[snap.notify_vcpu], (unsigned int)port);
        return 0;
    case ECS_HV:
        snap.u.hv(d, (unsigned int)port);
        return 0;
    case ECS_UNBOUND:
        return 0;                           /* silently dropped, as on Xen */
    }
    return -EINVAL;
}

static long evtchn_status(struct evtchn_status *s)
{
    struct domain *cur = current->domain;
    struct domain *d = domain_of(s->dom);
    if (!d)
        return -ESRCH;
    struct evtchn *c = port_of(d, s->port);
    if ((d != cur && !cur->is_privileged) || !c) {
        put_domain(d);
        return d != cur && !cur->is_privileged ? -EPERM : -EINVAL;
    }
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    memset(&s->u, 0, sizeof(s->u));
    s->vcpu = c->notify_vcpu;
    switch (c->state) {
    case ECS_FREE:
    case ECS_RESERVED:
        s->status = EVTCHNSTAT_closed;
        break;
    case ECS_UNBOUND:
        s->status = EVTCHNSTAT_unbound;
        s->u.unbound.dom = c->u.remote_domid;
        break;
    case ECS_INTERDOMAIN:
        s->status = EVTCHNSTAT_interdomain;
        s->u.interdomain.dom = c->u.interdomain.dom;
        s->u.interdomain.port = c->u.interdomain.port;
        break;
    case ECS_HV:
        s->status = EVTCHNSTAT_interdomain;
        s->u.interdomain.dom = DOMID_XEN;
        break;
    case ECS_VIRQ:
        s->status = EVTCHNSTAT_virq;
        s->u.virq = c->u.virq;
        break;
    case ECS_IPI:
        s->status = EVTCHNSTAT_ipi;
        break;
    default:
        s->status = EVTCHNSTAT_pirq;
        break;
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    put_domain(d);
    return 0;
}

static long evtchn_unmask(u64 port)
{
    struct vcpu *cur = current;
    struct domain *d = cur->domain;
    struct evtchn *c = port_of(d, port);
    if (!c)
        return -EINVAL;
    struct shared_info *s = d->shared_info;
    struct vcpu *v = d->vcpu[c->notify_vcpu < d->max_vcpus ? c->notify_vcpu : 0];
    unsigned int w = (unsigned int)port / BITS_PER_WORD, b = (unsigned int)port % BITS_PER_WORD;
    __atomic_fetch_and(&s->evtchn_mask[w], ~((xen_ulong_t)1 << b), __ATOMIC_SEQ_CST);
    if (test(&s->evtchn_pending[w], b) && !test_and_set(&v->vcpu_info->evtchn_pending_sel, w))
        mark_pending(v);
    return 0;
}

static long evtchn_bind_vcpu(struct evtchn_bind_vcpu *b)
{
    struct domain *d = current->domain;
    if (b->vcpu >= d->max_vcpus)
        return -ENOENT;
    struct evtchn *c = port_of(d, b->port);
    if (!c)
        return -EINVAL;
    u64 f = spin_lock_irqsave(&d->evtchn->lock);
    long rc = 0;
    switch (c->state) {
    case ECS_VIRQ:
        if (virq_is_global(c->u.virq))
            c->notify_vcpu = (u16)b->vcpu;
        else
            rc = -EINVAL;
        break;
    case ECS_UNBOUND:
    case ECS_INTERDOMAIN:
        c->notify_vcpu = (u16)b->vcpu;
        break;
    default:
        rc = -EINVAL;
    }
    spin_unlock_irqrestore(&d->evtchn->lock, f);
    return rc;
}

static long evtchn_reset(domid_t dom)
{
    struct domain *cur = current->domain;
    struct domain *d = domain_of(dom);
    if (!d)
        return -ESRCH;
    if (d != cur && !cur->is_privileged) {
        put_domain(d);
        return -EPERM;
    }
    for (unsigned int p = 1; p < EVTCHN_NR_PORTS; p++)
        if (d->evtchn->port[p].state != ECS_FREE && d->evtchn->port[p].state != ECS_HV)
            evtchn_close_port(d, p, true);
    put_domain(d);
    return 0;
}

void evtchn_domain_destroy(struct domain *d)
{
    if (!d->evtchn)
        return;
    for (unsigned int p = 1; p < EVTCHN_NR_PORTS; p++)
        if (d->evtchn->port[p].state != ECS_FREE)
            evtchn_close_port(d, p, false);
}

#define OP(type, fn)                                        \
    do {                                                    \
        type op;                                            \
        if (copy_from_guest(&op, arg, sizeof(op)))          \
            return -EFAULT;                                 \
        long rc = fn(&op);                                  \
        if (!rc && copy_to_guest(arg, &op, sizeof(op)))     \
            return -EFAULT;                                 \
        return rc;                                          \
    } while (0)

long do_event_channel_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct domain *d = current->domain;
    switch ((int)cmd) {
    case EVTCHNOP_alloc_unbound: OP(struct evtchn_alloc_unbound, evtchn_alloc_unbound);
    case EVTCHNOP_bind_interdomain: OP(struct evtchn_bind_interdomain, evtchn_bind_interdomain);
    case EVTCHNOP_bind_virq: OP(struct evtchn_bind_virq, evtchn_bind_virq);
    case EVTCHNOP_bind_ipi: OP(struct evtchn_bind_ipi, evtchn_bind_ipi);
    case EVTCHNOP_status: OP(struct evtchn_status, evtchn_status);
    case EVTCHNOP_bind_vcpu: OP(struct evtchn_bind_vcpu, evtchn_bind_vcpu);
    case EVTCHNOP_close: {
        struct evtchn_close c;
        if (copy_from_guest(&c, arg, sizeof(c)))
            return -EFAULT;
        return evtchn_close_port(d, c.port, true);
    }
    case EVTCHNOP_send: {
        struct evtchn_send s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        return evtchn_send(d, s.port);
    }
    case EVTCHNOP_unmask: {
        struct evtchn_unmask u;
        if (copy_from_guest(&u, arg, sizeof(u)))
            return -EFAULT;
        return evtchn_unmask(u.port);
    }
    case EVTCHNOP_reset: {
        struct evtchn_reset r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        return evtchn_reset(r.dom);
    }
    }
    return -ENOSYS;             /* including the FIFO ABI: not available */
}
