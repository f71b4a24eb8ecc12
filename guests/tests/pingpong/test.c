/*
 * pingpong - two domains ping-pong events over an interdomain event channel
 * for a bounded time; every send must be received exactly once, and neither
 * side may lose a wakeup.  A multi-domain test (Tern only): configs
 * configs/tests/pingpong-*.cfg, judged by tests/integration/xdomain.py,
 * which also compares the two sides' counts.  Alone it skips.
 *
 * Command line (both sides):
 *   role=ping|pong   ping offers the ports and decides when to stop
 *   peer=D           the other domain's id (ids are given in config order)
 *   port=P           the convention: ping's first alloc_unbound gives port P
 *                    (the ping channel), its second P+1 (the stop channel);
 *                    pong binds to both, retrying until they are offered
 *   wait=block|poll  how a side waits: SCHEDOP_block with events enabled and
 *                    a guard timer, or SCHEDOP_poll on its ports with a
 *                    timeout, events masked
 *   secs=S           (ping) how long to play, default 3
 *   guard=MS         how long one wait may take before it counts as a lost
 *                    event or a lost wakeup, default 5000
 *   cpus=MASK        the physical CPUs the config pins this domain to: the
 *                    tern_op pcpus set must lie inside it
 *
 * Protocol: pong binds both ports and sends a hello on the ping channel;
 * then ping sends a ping and waits for its pong, round after round, in
 * lockstep: at any time at most one event is in flight, so none may
 * coalesce with another and the counts must match exactly.  When its time is
 * up, ping waits a little for a stray extra pong, then sends on the stop
 * channel; pong answers every ping it received and ends on the stop.
 * A wait that ends by its guard with the event pending is a lost wakeup; one
 * that ends without it, a lost event.  Both fail and end the game.
 */
#include "guest.h"
#include "xdomain.h"

const char test_title[] = "pingpong: two domains ping-pong events across an interdomain channel";

static volatile u64 events, got, stops;   /* events = got + stops */
static bool use_poll;
static u64 guard_ns;

static void on_event(evtchn_port_t p) { (void)p; got++; events++; }
static void on_stop(evtchn_port_t p) { (void)p; stops++; events++; }

/* Wait until events moves past seen: one more event on ports[0] (counted in
 * got) or, for pong, a stop on ports[1].  Returns false when the guard ended
 * the wait without one; *late when one was there but only the guard's expiry
 * noticed it.  Block mode returns with events disabled. */
static bool wait_event(const evtchn_port_t *ports, unsigned n, u64 seen, u64 deadline, bool *late)
{
    if (!use_poll)
        return xdom_wait(&events, seen, deadline, late);
    int i = xdom_poll(ports, n, deadline, late);
    if (i < 0)
        return false;
    if (i == 0)
        got++;
    else
        stops++;
    events++;
    return true;
}

static void check_pinning(void)
{
    u64 allowed = cmdline_u64("cpus", 0);
    struct tern_counters c;
    if (!xdom_counters(&c)) {
        check(false, "pingpong.pcpus", "tern_op get_counters failed");
        return;
    }
    if (!allowed)
        return;
    check(c.pcpus && !(c.pcpus & ~allowed), "pingpong.pcpus",
          "ran on physical CPUs %#lx, pinned to %#lx", c.pcpus, allowed);
}

static void play_ping(domid_t peer, evtchn_port_t want)
{
    evtchn_port_t ch, stop;
    long rc = xdom_offer(peer, &ch);
    long rc2 = xdom_offer(peer, &stop);
    if (!check(rc == 0 && rc2 == 0 && ch == want && stop == want + 1, "pingpong.offer_ports",
               "alloc_unbound for domain %u: %ld port %u, %ld port %u (agreed %u and %u)",
               peer, rc, ch, rc2, stop, want, want + 1))
        return;
    rc = xdom_init();
    if (!CHECK_EQ("pingpong.setup_timer", rc, 0))
        return;
    evtchn_set_handler(ch, on_event);
    evtchn_port_t ports[1] = { ch };
    bool late;

    /* The hello: pong has bound both ports. */
    u64 connect_by = now_ns() + 30000 * XDOM_MS;
    bool hello = wait_event(ports, 1, 0, connect_by, &late);
    if (!check(hello, "pingpong.peer_connected", "hello from domain %u %s", peer,
               hello ? "received" : "not received within 30 s"))
        return;
    events_disable();
    got = events = 0;
    u64 blocks0 = xdom_blocks;

    u64 secs = cmdline_u64("secs", 3);
    struct vcpu_runstate_info r0, r1;
    u64 t0 = xdom_runstate(&r0), end = t0 + secs * 1000 * XDOM_MS;
    u64 sent = 0, lost = 0, late_wakeups = 0, extra = 0, rtt_sum = 0, rtt_max = 0, rtt_min = ~0ULL;
    while (now_ns() < end) {
        u64 before = events;
        u64 s0 = now_ns();
        sent++;
        evtchn_send(ch);
        if (!wait_event(ports, 1, before, now_ns() + guard_ns, &late)) {
            lost++;
            printf("pingpong: ping %lu: no pong within %lu ms (pending bit %d)\n", sent,
                   guard_ns / XDOM_MS, xdom_port_pending(ch));
            break;
        }
        u64 rtt = now_ns() - s0;
        rtt_sum += rtt;
        rtt_max = MAX(rtt_max, rtt);
        rtt_min = MIN(rtt_min, rtt);
        if (late) {
            late_wakeups++;
            printf("pingpong: ping %lu: the pong was pending but only the guard woke us\n", sent);
            break;
        }
        if (got != sent) {
            extra++;
            printf("pingpong: ping %lu: %lu pongs received\n", sent, got);
            break;
        }
    }
    u64 t1 = xdom_runstate(&r1);
    /* A stray extra pong would show up now. */
    u64 blocks = xdom_blocks - blocks0;
    if (!lost && wait_event(ports, 1, events, now_ns() + 50 * XDOM_MS, &late))
        extra++;
    evtchn_send(stop);
    if (use_poll)
        events_disable();
    else
        events_enable();

    u64 blocked = r1.time[RUNSTATE_blocked] - r0.time[RUNSTATE_blocked];
    u64 running = r1.time[RUNSTATE_running] - r0.time[RUNSTATE_running];
    printf("pingpong: ping (%s): sent=%lu received=%lu in %lu ms; round trip %lu/%lu/%lu us "
           "(min/avg/max); running %lu ms, blocked %lu ms, %lu blocks\n",
           use_poll ? "poll" : "block", sent, got, (t1 - t0) / XDOM_MS,
           (rtt_min == ~0ULL ? 0 : rtt_min) / 1000, sent ? rtt_sum / sent / 1000 : 0, rtt_max / 1000,
           running / XDOM_MS, blocked / XDOM_MS, blocks);
    check(sent >= 100, "pingpong.rounds", "%lu rounds in %lu s", sent, secs);
    check(lost == 0, "pingpong.no_lost_event", "%lu pings without a pong", lost);
    check(late_wakeups == 0, "pingpong.no_lost_wakeup", "%lu pongs noticed only by the guard", late_wakeups);
    check(got == sent && extra == 0, "pingpong.each_pong_once", "sent=%lu received=%lu extra=%lu",
          sent, got, extra);
    check(blocked > 0 && (use_poll || blocks > 0), "pingpong.waited_blocked",
          "blocked %lu us over the game, %lu SCHEDOP_block", blocked / 1000, blocks);
    check_pinning();
}

static void play_pong(domid_t peer, evtchn_port_t port)
{
    long rc = xdom_init();
    if (!CHECK_EQ("pingpong.setup_timer", rc, 0))
        return;
    evtchn_port_t ch = 0, stop = 0;
    u64 by = now_ns() + 30000 * XDOM_MS;
    rc = xdom_connect(peer, port, by, &ch);
    long rc2 = rc ? rc : xdom_connect(peer, port + 1, by, &stop);
    if (!check(rc == 0 && rc2 == 0, "pingpong.bind_ports",
               "bind_interdomain to domain %u ports %u, %u: %ld (local %u), %ld (local %u)",
               peer, port, port + 1, rc, ch, rc2, stop))
        return;
    evtchn_set_handler(ch, on_event);
    evtchn_set_handler(stop, on_stop);
    evtchn_port_t ports[2] = { ch, stop };
    events_disable();
    u64 blocks0 = xdom_blocks;
    evtchn_send(ch);                            /* hello */

    struct vcpu_runstate_info r0, r1;
    u64 t0 = xdom_runstate(&r0);
    u64 answered = 0, lost = 0, late_wakeups = 0;
    bool late;
    for (;;) {
        if (!wait_event(ports, 2, events, now_ns() + guard_ns, &late)) {
            lost++;
            printf("pingpong: after %lu pings nothing from domain %u within %lu ms (pending %d/%d)\n",
                   got, peer, guard_ns / XDOM_MS, xdom_port_pending(ch), xdom_port_pending(stop));
            break;
        }
        if (late) {
            late_wakeups++;
            printf("pingpong: ping %lu was pending but only the guard woke us\n", got);
        }
        while (answered < got) {
            evtchn_send(ch);
            answered++;
        }
        if (stops)
            break;
        if (late)
            break;
    }
    u64 t1 = xdom_runstate(&r1);
    u64 blocks = xdom_blocks - blocks0;
    if (use_poll)
        events_disable();
    else
        events_enable();
    u64 blocked = r1.time[RUNSTATE_blocked] - r0.time[RUNSTATE_blocked];
    printf("pingpong: pong (%s): received=%lu sent=%lu stops=%lu in %lu ms; blocked %lu ms, %lu blocks\n",
           use_poll ? "poll" : "block", got, answered, stops, (t1 - t0) / XDOM_MS, blocked / XDOM_MS,
           blocks);
    check(stops == 1 && lost == 0, "pingpong.no_lost_event", "stop %s, %lu waits ended by the guard",
          stops ? "received" : "never received", lost);
    check(late_wakeups == 0, "pingpong.no_lost_wakeup", "%lu events noticed only by the guard", late_wakeups);
    check(answered == got && got > 0, "pingpong.each_ping_once", "received=%lu sent=%lu", got, answered);
    check(blocked > 0 && (use_poll || blocks > 0), "pingpong.waited_blocked",
          "blocked %lu us over the game, %lu SCHEDOP_block", blocked / 1000, blocks);
    check_pinning();
}

void test_main(void)
{
    char role[8] = "", how[8] = "block";
    cmdline_value("role", role, sizeof(role));
    if (!platform_is_pv || !tern_present() || !role[0]) {
        test_skip("a multi-domain test: run by tests/integration/xdomain.py (configs/tests/pingpong-*.cfg)");
        return;
    }
    cmdline_value("wait", how, sizeof(how));
    use_poll = !strcmp(how, "poll");
    guard_ns = cmdline_u64("guard", 5000) * XDOM_MS;
    domid_t peer = (domid_t)cmdline_u64("peer", 0);
    evtchn_port_t port = (evtchn_port_t)cmdline_u64("port", 0);
    if (!strcmp(role, "ping"))
        play_ping(peer, port);
    else if (!strcmp(role, "pong"))
        play_pong(peer, port);
    else
        test_error("unknown role '%s'", role);
}
