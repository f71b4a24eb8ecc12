/*
 * evtchn_rtt - event round trip between two domains over an interdomain
 * channel (../shared/BENCHMARKS.md: evtchn_rtt_local with both domains on
 * one physical CPU, evtchn_rtt_remote with one on each; native counterpart
 * ipi_rtt).  Tern only, two domains: configs/bench/evtchn-rtt-*.cfg, run by
 * tools/ternlib/xdomain.py for `make bench`; alone it skips.
 *
 * Command line (xdom_pair_connect): role=ping|pong, peer=D, port=P; and
 *   name=BENCH   the record's name (evtchn_rtt_local or evtchn_rtt_remote)
 *   cpus=MASK    the physical CPUs the config pins this domain to: the
 *                tern_op pcpus set must lie inside it
 *   wall, iters=N  the usual benchmark switches (bench.c)
 *
 * A round trip: ping reads the TSC, sends on the channel and blocks in
 * SCHEDOP_block (events enabled atomically) until the pong's upcall; then
 * reads the TSC again.  Pong blocks the same way and answers each ping from
 * its loop.  Both take events through xdom_fast_events' few instructions of
 * assembly (as evtchn_self does), so the figure is the hypervisor's path and
 * the two sides' loops: on one CPU two sends, two blocks, two domain switches
 * and two upcalls; across CPUs the wakeups are IPIs and the time is virtual
 * time on both CPUs (ARCHITECTURE.md, Measuring).  The warm-up (200 round
 * trips) checks one pong per ping.  Ping marks the start and the end of the
 * timed rounds on the control port; each side counts its own hypervisor
 * events between the two marks and prints them on a "unit": "events" line,
 * which the host adds up for the record's events per round trip.  A guard timer
 * (60 s for the whole run) ends a wait that would otherwise hang.
 */
#include "guest.h"
#include "xdomain.h"

const char test_title[] = "bench evtchn_rtt: event round trip between two domains";

#define GUARD_NS (60000 * XDOM_MS)
#define WARMUP 200

static void check_pinned(const struct tern_counters *c)
{
    u64 allowed = cmdline_u64("cpus", 0);
    check(allowed && c->pcpus && !(c->pcpus & ~allowed), "setup.pinned",
          "ran on physical CPUs %#lx, pinned to %#lx", c->pcpus, allowed);
}

/* Not a figure of its own: one side's hypervisor events per round trip (a
 * line apart: long lines are harder to read). */
static void print_events(const char *name, const char *side, const struct tern_counters *c0,
                         const struct tern_counters *c1, u64 rounds)
{
    char ev[256];
    bench_tern_events_json(ev, sizeof(ev), c0, c1, rounds);
    printf("BENCH {\"bench\": \"%s\", \"side\": \"%s\", \"unit\": \"events\", \"runs\": %lu, "
           "\"pcpus\": %lu, \"events\": {%s}}\n", name, side, rounds, c1->pcpus, ev);
}

static void ping(const char *name, struct xdom_pair *p)
{
    u64 want = p->ch_bit | p->guard_bit;
    unsigned bad = 0;
    for (int i = 0; i < WARMUP; i++) {
        evtchn_send(p->ch);
        bad += xdom_fast_wait(want) != p->ch_bit;
    }
    if (!check(bad == 0 && !(xdom_seen & p->ch_bit), "warmup.one_pong_per_ping",
               "%u of %d pings without exactly one pong", bad, WARMUP))
        return;

    u64 iters = bench_iters(2000, 20000);
    struct bench b;
    bench_begin(&b, name);
    struct tern_counters c0, c1;
    evtchn_send(p->ctl);                                /* timed rounds start */
    xdom_counters(&c0);
    u64 lost = 0;
    for (u64 i = 0; i < iters; i++) {
        u64 t0 = rdtsc();
        evtchn_send(p->ch);
        u64 got = xdom_fast_wait(want);
        u64 t1 = rdtsc();
        if (got != p->ch_bit) {
            lost++;
            break;
        }
        bench_add(&b, t1 - t0);
    }
    xdom_counters(&c1);
    evtchn_send(p->ctl);                                /* and end */
    check(lost == 0, "bench.every_round_completed", "%lu of %lu round trips without their pong",
          lost, iters);
    check_pinned(&c1);
    bench_report(&b, "\"side\": \"ping\"");
    print_events(name, "ping", &c0, &c1, b.total);
}

static void pong(const char *name, struct xdom_pair *p)
{
    u64 want = p->ch_bit | p->ctl_bit | p->guard_bit;
    struct tern_counters c0, c1;
    memset(&c0, 0, sizeof(c0));
    u64 answered = 0, answered0 = 0, marks = 0;
    bool guard = false;
    while (marks < 2) {
        u64 got = xdom_fast_wait(want);
        if (got & p->guard_bit) {
            guard = true;
            break;
        }
        if ((got & p->ctl_bit) && ++marks == 1) {
            xdom_counters(&c0);
            answered0 = answered;
        }
        if (got & p->ch_bit) {
            evtchn_send(p->ch);
            answered++;
        }
    }
    xdom_counters(&c1);
    u64 timed = answered - answered0;
    check(!guard && marks == 2 && answered > WARMUP, "bench.answered_every_ping",
          "%lu pongs (%lu timed), both marks %s%s", answered, timed, marks == 2 ? "seen" : "not seen",
          guard ? "; the guard expired" : "");
    check_pinned(&c1);
    print_events(name, "pong", &c0, &c1, timed);
}

void test_main(void)
{
    char role[8] = "", name[40] = "evtchn_rtt";
    cmdline_value("role", role, sizeof(role));
    cmdline_value("name", name, sizeof(name));
    if (!platform_is_pv || !tern_present() || !role[0]) {
        test_skip("two domains: run by `make bench` with configs/bench/evtchn-rtt-*.cfg");
        return;
    }
    struct xdom_pair p;
    if (xdom_pair_connect(&p, now_ns() + GUARD_NS)) {
        if (p.ping)
            ping(name, &p);
        else
            pong(name, &p);
    }
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    xdom_lib_events();
}
