/*
 * xdomain.c - helpers for guests that work with other domains
 * (include/xdomain.h): ports agreed on the command line, waits that block
 * with a guard timer, runstate and tern_op figures.  PV only.
 */
#include "guest.h"
#include "xdomain.h"

evtchn_port_t xdom_timer_port;
volatile u64 xdom_guard_fired;
u64 xdom_blocks;

u64 cmdline_u64(const char *key, u64 dflt)
{
    char buf[32];
    u64 v;
    const char *s = cmdline_value(key, buf, sizeof(buf));
    if (s && s[0] && parse_u64(s, strlen(s), &v) == strlen(s))
        return v;
    return dflt;
}

static void on_guard(evtchn_port_t port)
{
    (void)port;
    xdom_guard_fired++;
}

long xdom_init(void)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    if (rc)
        return rc;
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if (rc)
        return rc;
    xdom_timer_port = bv.port;
    evtchn_set_handler(bv.port, on_guard);
    return 0;
}

long xdom_offer(domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
    if (!rc)
        *port = a.port;
    return rc;
}

bool xdom_port_pending(evtchn_port_t port)
{
    return __atomic_load_n(&shared_info->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) &
           (1UL << (port % 64));
}

void xdom_port_clear(evtchn_port_t port)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[port / 64], ~(1UL << (port % 64)),
                       __ATOMIC_SEQ_CST);
}

void xdom_sleep_until(u64 deadline)
{
    while (now_ns() < deadline) {
        struct sched_poll sp = { .nr_ports = 0, .timeout = deadline };
        set_xen_guest_handle(sp.ports, NULL);
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
    }
}

long xdom_connect(domid_t remote, evtchn_port_t remote_port, u64 deadline, evtchn_port_t *local)
{
    for (;;) {
        struct evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = remote_port };
        long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
        if (rc == 0) {
            *local = b.local_port;
            xdom_port_clear(b.local_port);
            return 0;
        }
        if ((rc != -XEN_EINVAL && rc != -XEN_ESRCH) || now_ns() >= deadline)
            return rc;
        xdom_sleep_until(MIN(now_ns() + XDOM_MS, deadline));
    }
}

bool xdom_wait(volatile u64 *counter, u64 seen, u64 deadline, bool *guarded)
{
    events_disable();
    *guarded = false;
    if (*counter != seen)
        return true;
    u64 fired = xdom_guard_fired;
    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = deadline };
    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
    while (*counter == seen && xdom_guard_fired == fired) {
        xdom_blocks++;
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        events_disable();
    }
    *guarded = xdom_guard_fired != fired;
    return *counter != seen;
}

int xdom_poll(const evtchn_port_t *ports, unsigned n, u64 deadline, bool *guarded)
{
    *guarded = false;
    for (;;) {
        for (unsigned i = 0; i < n; i++) {
            if (xdom_port_pending(ports[i])) {
                xdom_port_clear(ports[i]);
                return (int)i;
            }
        }
        if (*guarded)
            return -1;
        struct sched_poll sp = { .nr_ports = n, .timeout = deadline };
        set_xen_guest_handle(sp.ports, (evtchn_port_t *)ports);
        HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
        if (now_ns() >= deadline)
            *guarded = true;
    }
}

u64 xdom_runstate(struct vcpu_runstate_info *r)
{
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, r);
    u64 t = now_ns();
    if (r->state >= 0 && r->state < 4 && t > r->state_entry_time)
        r->time[r->state] += t - r->state_entry_time;
    return t;
}

bool xdom_counters(struct tern_counters *c)
{
    memset(c, 0, sizeof(*c));
    return platform_is_pv && tern_op(TERNOP_get_counters, c) == 0;
}

static void thousandths(char *buf, size_t size, u64 n, u64 ops)
{
    u64 m = ops ? n * 1000 / ops : 0;
    snprintf(buf, size, "%lu.%03lu", m / 1000, m % 1000);
}

void xdom_events_json(char *buf, size_t size, const struct tern_counters *a,
                      const struct tern_counters *b, u64 ops)
{
    if (!tern_present() || !ops) {
        buf[0] = 0;
        return;
    }
    char e[4][24];
    thousandths(e[0], sizeof(e[0]), (b->hypercalls - a->hypercalls) + (b->exceptions - a->exceptions) +
                (b->interrupts - a->interrupts) + (b->syscall_bounces - a->syscall_bounces), ops);
    thousandths(e[1], sizeof(e[1]), b->as_switches - a->as_switches, ops);
    thousandths(e[2], sizeof(e[2]), b->domain_switches - a->domain_switches, ops);
    thousandths(e[3], sizeof(e[3]), b->ipis - a->ipis, ops);
    snprintf(buf, size, "\"hv_entries\": %s, \"as_switches\": %s, \"domain_switches\": %s, \"ipis\": %s",
             e[0], e[1], e[2], e[3]);
}
