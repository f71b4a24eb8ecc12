/*
 * xdomain.c - helpers for guests that work with other domains
 * (include/xdomain.h): ports agreed on the command line, waits that block
 * with a guard timer, runstate and tern_op figures, and the benchmarks' fast
 * upcall and channel pair.  PV only.
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

/* ---- the benchmarks' fast upcall ---- */

volatile u64 xdom_seen, xdom_upcall_tsc, xdom_upcalls;
void *xdom_vcpu_info, *xdom_pending_word;
u64 xdom_port_mask;
extern char pv_trap_256[];

_Static_assert(__builtin_offsetof(vcpu_info_t, evtchn_upcall_pending) == 0, "xdom_upcall's offsets");
_Static_assert(__builtin_offsetof(vcpu_info_t, evtchn_pending_sel) == 8, "xdom_upcall's offsets");

/* Entered as Xen enters an event callback: rcx and r11 on the stack above the
 * iret frame, events masked.  rax and rdx are the interrupted code's: saved
 * first, so that rdtsc is the third instruction. */
__asm__(
    ".text\n"
    "xdom_upcall:\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  rdtsc\n"
    "  shl $32, %rdx\n"
    "  or %rdx, %rax\n"
    "  mov %rax, xdom_upcall_tsc(%rip)\n"
    "  mov xdom_vcpu_info(%rip), %rax\n"
    "  movb $0, (%rax)\n"                   /* evtchn_upcall_pending */
    "  movq $0, 8(%rax)\n"                  /* evtchn_pending_sel */
    "  mov xdom_pending_word(%rip), %rax\n"
    "  mov (%rax), %rdx\n"
    "  and xdom_port_mask(%rip), %rdx\n"
    "  not %rdx\n"
    "  lock and %rdx, (%rax)\n"             /* take exactly the bits seen */
    "  not %rdx\n"
    "  lock or %rdx, xdom_seen(%rip)\n"
    "  lock incq xdom_upcalls(%rip)\n"
    "  pop %rdx\n"
    "  pop %rax\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  push $0\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n");
extern char xdom_upcall[];

static void set_event_callback(void *fn)
{
    struct callback_register cb = { .type = CALLBACKTYPE_event, .address = (unsigned long)fn };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    if (rc)
        guest_panic("callback_op(register, event): %ld", rc);
}

void xdom_fast_events(u64 mask)
{
    xdom_vcpu_info = vcpu0();
    xdom_pending_word = &shared_info->evtchn_pending[0];
    xdom_port_mask = mask;
    set_event_callback(xdom_upcall);
}

void xdom_lib_events(void)
{
    set_event_callback(pv_trap_256);
}

bool xdom_pair_connect(struct xdom_pair *p, u64 deadline)
{
    char role[8] = "";
    cmdline_value("role", role, sizeof(role));
    p->ping = !strcmp(role, "ping");
    p->peer = (domid_t)cmdline_u64("peer", 0);
    evtchn_port_t want = (evtchn_port_t)cmdline_u64("port", 0);
    if (!check(p->ping || !strcmp(role, "pong"), "setup.role", "role '%s' (ping or pong)", role))
        return false;
    events_disable();
    if (p->ping) {
        long rc1 = xdom_offer(p->peer, &p->ch), rc2 = xdom_offer(p->peer, &p->ctl);
        if (!check(rc1 == 0 && rc2 == 0 && p->ch == want && p->ctl == want + 1, "setup.offer_ports",
                   "alloc_unbound for domain %u: %ld port %u, %ld port %u (agreed %u, %u)",
                   p->peer, rc1, p->ch, rc2, p->ctl, want, want + 1))
            return false;
    } else {
        long rc1 = xdom_connect(p->peer, want, deadline, &p->ch);
        long rc2 = rc1 ? rc1 : xdom_connect(p->peer, want + 1, deadline, &p->ctl);
        if (!check(rc1 == 0 && rc2 == 0, "setup.bind_ports",
                   "bind_interdomain to domain %u ports %u, %u: %ld (local %u), %ld (local %u)",
                   p->peer, want, want + 1, rc1, p->ch, rc2, p->ctl))
            return false;
    }
    long rc = xdom_init();                  /* after the offers: they take the agreed numbers */
    if (!CHECK_EQ("setup.guard_timer", rc, 0))
        return false;
    if (!check(p->ch < 64 && p->ctl < 64 && xdom_timer_port < 64, "setup.ports_in_word0",
               "ports %u, %u, timer %u", p->ch, p->ctl, xdom_timer_port))
        return false;
    p->ch_bit = XDOM_BIT(p->ch);
    p->ctl_bit = XDOM_BIT(p->ctl);
    p->guard_bit = XDOM_BIT(xdom_timer_port);
    xdom_fast_events(p->ch_bit | p->ctl_bit | p->guard_bit);
    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = deadline };
    HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
    if (!p->ping) {
        evtchn_send(p->ch);                             /* hello */
        return true;
    }
    u64 got = xdom_fast_wait(p->ch_bit | p->guard_bit);
    return check(got == p->ch_bit, "setup.peer_connected", "hello from domain %u %s", p->peer,
                 got == p->ch_bit ? "received" : "not received (the guard expired)");
}
