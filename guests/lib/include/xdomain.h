/*
 * xdomain.h - guests that work with other domains (Tern's multi-domain tests
 * and benchmarks; xdomain.c).  Include after guest.h.  PV only.
 *
 * Domains find each other without xenstore: domain ids are deterministic
 * (1, 2, ... in config order; 0 for an initial domain) and the port numbers
 * are agreed on the command line.  One domain offers a port
 * (EVTCHNOP_alloc_unbound for the other's id) and checks that it got the
 * number agreed; the other binds to it (EVTCHNOP_bind_interdomain), retrying
 * while it is not offered yet.
 *
 * Waiting: xdom_wait blocks in SCHEDOP_block (events enabled atomically)
 * until a counter moves, with a singleshot timer on VIRQ_TIMER as a guard so
 * that a lost event or a lost wakeup ends the wait instead of hanging; the
 * periodic timer is stopped by xdom_init, so nothing else wakes a vCPU.
 *
 * Benchmarks replace the library's upcall (pv_common, trap_dispatch,
 * evtchn_upcall: a few hundred instructions) by xdom_fast_events' few
 * instructions of assembly, as evtchn_self does, so that a figure is the
 * hypervisor's path and not the library's dispatch.
 */
#ifndef GUEST_XDOMAIN_H
#define GUEST_XDOMAIN_H

#include "guest.h"

#define XDOM_MS 1000000UL

/* A number from the command line ("key=N", decimal or 0x hex), or dflt. */
u64 cmdline_u64(const char *key, u64 dflt);

/* Stop the periodic timer, bind VIRQ_TIMER to the guard (events stay as they
 * were).  0 or the failing hypercall's result. */
long xdom_init(void);
extern evtchn_port_t xdom_timer_port;
extern volatile u64 xdom_guard_fired;      /* guard expiries so far */
extern u64 xdom_blocks;                    /* SCHEDOP_block calls made by xdom_wait */

/* Offer a port to domain remote (alloc_unbound in our own table). */
long xdom_offer(domid_t remote, evtchn_port_t *port);
/* Bind to port remote_port of domain remote, retrying every millisecond
 * while it does not exist or is not offered to us (-ESRCH, -EINVAL) until
 * deadline (system time, ns).  The new local port's pending bit (set by the
 * bind, as Xen does) is cleared.  0, or the last error. */
long xdom_connect(domid_t remote, evtchn_port_t remote_port, u64 deadline, evtchn_port_t *local);

/* Sleep until deadline (system time) in SCHEDOP_poll on no port. */
void xdom_sleep_until(u64 deadline);

/* Block (SCHEDOP_block) until *counter != seen or deadline passes (the
 * guard).  Returns with events disabled; true when the counter moved.
 * *guarded is set when the guard timer woke us (a wakeup that took the
 * guard: lost or very late). */
bool xdom_wait(volatile u64 *counter, u64 seen, u64 deadline, bool *guarded);

/* Poll (SCHEDOP_poll, events masked) until one of ports is pending or
 * deadline passes; returns the first pending port's index, its pending bit
 * cleared, or -1 on timeout.  *guarded is set when a port was found pending
 * only after a poll that lasted until the deadline (a lost or late wakeup). */
int xdom_poll(const evtchn_port_t *ports, unsigned n, u64 deadline, bool *guarded);

bool xdom_port_pending(evtchn_port_t port);
void xdom_port_clear(evtchn_port_t port);

/* Runstate of vCPU 0 brought up to now: the current state's time so far
 * added (VCPUOP_get_runstate_info counts a state's time when it is left).
 * Returns the system time the figures are for. */
u64 xdom_runstate(struct vcpu_runstate_info *r);

/* Tern's counters of the calling vCPU (tern_op); false when not on Tern.
 * Per operation as JSON: bench_tern_events_json (guest.h). */
struct tern_counters;
bool xdom_counters(struct tern_counters *c);

/* ---- the benchmarks' fast upcall ----
 * xdom_fast_events(mask) registers an event callback that reads the TSC at
 * its third instruction (xdom_upcall_tsc: "the first instruction" of a vCPU
 * that an event resumes), clears evtchn_upcall_pending and the selector,
 * moves the pending bits of the ports in mask (all below 64) into xdom_seen,
 * counts itself in xdom_upcalls and returns by HYPERVISOR_iret.  Ports
 * outside mask stay pending and are not looked at.  xdom_lib_events puts
 * the library's upcall back. */
extern volatile u64 xdom_seen, xdom_upcall_tsc, xdom_upcalls;
void xdom_fast_events(u64 mask);
void xdom_lib_events(void);
#define XDOM_BIT(port) (1UL << (port))

/* Block in SCHEDOP_block (events enabled atomically) until a bit of bits is
 * in xdom_seen; take those bits out and return them.  Events are masked on
 * return.  Include the guard's port (xdom_timer_port) in bits to end a wait
 * that nothing else would end. */
static inline u64 xdom_fast_wait(u64 bits)
{
    vcpu_info_t *v = vcpu0();
    WRITE_ONCE(v->evtchn_upcall_mask, 1);
    BARRIER();
    while (!(xdom_seen & bits)) {
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        WRITE_ONCE(v->evtchn_upcall_mask, 1);
        BARRIER();
    }
    return __atomic_fetch_and(&xdom_seen, ~bits, __ATOMIC_SEQ_CST) & bits;
}

/* Two domains of a benchmark: the command line says role=ping|pong, peer=D
 * (the other's domain id) and port=P.  Ping offers ports P (the channel,
 * ch) and P+1 (control, ctl) to the peer and checks it got those numbers;
 * pong binds to both, retrying until they are offered, and says hello on ch.
 * xdom_pair_connect does all that, with the fast upcall on ch, ctl and the
 * guard (armed at deadline) and events masked; it prints a CHECK for each
 * step and returns false when one failed. */
struct xdom_pair {
    bool ping;
    domid_t peer;
    evtchn_port_t ch, ctl;
    u64 ch_bit, ctl_bit, guard_bit;
};
bool xdom_pair_connect(struct xdom_pair *p, u64 deadline);

#endif
