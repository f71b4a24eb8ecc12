/*
 * cpu_share - a CPU-bound (or idle) domain that measures the CPU time it got
 * from its own runstate, phase by phase, for the scheduler checks of
 * tests/integration/xdomain.py (configs/tests/sched-*.cfg: weights, caps,
 * pinning).  A multi-domain test, Tern only; alone it skips.
 *
 * Command line:
 *   start=MS    system time (ms since the hypervisor booted, the same clock
 *               in every domain) at which the first phase begins; until then
 *               the domain sleeps, so that all domains of a config start
 *               their phases together
 *   phase=MS    length of each phase
 *   plan=LETTERS  one letter per phase: s = spin (CPU-bound), i = idle
 *               (sleeps in SCHEDOP_poll until the phase ends), w = wake
 *               periodically: a singleshot timer every period=US (default
 *               2000) microseconds from the phase's start, slept on in
 *               SCHEDOP_block, then work=US (default 400) of spinning; a
 *               responsive domain that wants work/period of the CPU
 *   cpus=MASK   the physical CPUs the config pins it to: the set tern_op
 *               reports it has run on must lie inside
 *
 * Each phase is measured between two runstate snapshots taken at the first
 * instant the domain sees the phase boundary; a runnable domain does not run
 * until it is picked, so what it did not get shows as runnable time, never
 * as running time.  For each phase it prints
 *   cpu_share: phase N (spin|idle): window_ns=W running_ns=R runnable_ns=Q blocked_ns=B
 * and checks that the four runstates account for the window.  A wake phase
 * also prints
 *   cpu_share: phase N wakeups=K missed=M early=E lat_max_ns=X lat_avg_ns=Y
 * (how late each timer's handler ran after its deadline, by the pvclock;
 * a deadline already past when the previous period's work ended is missed)
 * and checks that no timer fired early.  The shares and latencies are judged
 * by the integration test, which sees every domain's figures (a 2:1 weight
 * ratio, a cap, the rest going to a neighbour, a sleeper beside a spinner).
 */
#include "guest.h"
#include "xdomain.h"

const char test_title[] = "cpu_share: CPU time a domain gets, from its runstate";

#define MAX_PHASES 8

struct phase {
    char kind;
    u64 t0, t1;                         /* system time of the snapshots */
    struct vcpu_runstate_info r0, r1;
    u64 wakeups, missed, early, lat_max, lat_sum;
};

static struct phase phases[MAX_PHASES];
static volatile u64 ticks, tick_at;

static void on_tick(evtchn_port_t port)
{
    (void)port;
    tick_at = now_ns();
    ticks++;
}

/* A wake phase until end: a timer every period from start, then work. */
static void wake_phase(struct phase *p, u64 start, u64 end, u64 period, u64 work)
{
    for (u64 next = start + period; next < end; next += period) {
        bool guarded;
        u64 seen = ticks;
        xdom_wait(&ticks, seen, next, &guarded);    /* arms the timer at next */
        u64 at = tick_at;
        p->wakeups++;
        if (at < next) {
            p->early++;
        } else {
            p->lat_max = MAX(p->lat_max, at - next);
            p->lat_sum += at - next;
        }
        while (now_ns() < MIN(at + work, end))
            cpu_relax();
        while (next + period <= now_ns() && next + period < end) {
            next += period;
            p->missed++;
        }
    }
    xdom_sleep_until(end);
}

void test_main(void)
{
    char plan[MAX_PHASES + 1] = "";
    cmdline_value("plan", plan, sizeof(plan));
    if (!platform_is_pv || !tern_present() || !plan[0]) {
        test_skip("a multi-domain test: run by tests/integration/xdomain.py (configs/tests/sched-*.cfg)");
        return;
    }
    u64 start = cmdline_u64("start", 500) * XDOM_MS;
    u64 len = cmdline_u64("phase", 1000) * XDOM_MS;
    unsigned n = (unsigned)strlen(plan);
    for (unsigned i = 0; i < n; i++) {
        if (plan[i] != 's' && plan[i] != 'i' && plan[i] != 'w') {
            test_error("plan: '%c' is not s, i or w", plan[i]);
            return;
        }
    }
    events_disable();
    long rc = xdom_init();
    if (!CHECK_EQ("cpu_share.setup", rc, 0))
        return;
    evtchn_set_handler(xdom_timer_port, on_tick);
    u64 period = cmdline_u64("period", 2000) * 1000, work = cmdline_u64("work", 400) * 1000;
    u64 t = now_ns();
    if (!check(t < start, "cpu_share.before_start", "booted at %lu ms, phases start at %lu ms",
               t / XDOM_MS, start / XDOM_MS))
        return;
    xdom_sleep_until(start);

    for (unsigned i = 0; i < n; i++) {
        struct phase *p = &phases[i];
        u64 end = start + (i + 1) * len;
        p->kind = plan[i];
        if (i == 0)
            p->t0 = xdom_runstate(&p->r0);
        else {
            p->t0 = phases[i - 1].t1;
            p->r0 = phases[i - 1].r1;
        }
        if (p->kind == 's') {
            while (now_ns() < end)
                cpu_relax();
        } else if (p->kind == 'w') {
            wake_phase(p, start + i * len, end, period, work);
        } else {
            xdom_sleep_until(end);
        }
        p->t1 = xdom_runstate(&p->r1);
    }

    for (unsigned i = 0; i < n; i++) {
        struct phase *p = &phases[i];
        u64 d[4], sum = 0, window = p->t1 - p->t0;
        for (int s = 0; s < 4; s++) {
            d[s] = p->r1.time[s] - p->r0.time[s];
            sum += d[s];
        }
        printf("cpu_share: phase %u (%s): window_ns=%lu running_ns=%lu runnable_ns=%lu blocked_ns=%lu "
               "offline_ns=%lu late_ns=%lu\n", i + 1,
               p->kind == 's' ? "spin" : p->kind == 'w' ? "wake" : "idle", window,
               d[RUNSTATE_running], d[RUNSTATE_runnable], d[RUNSTATE_blocked], d[RUNSTATE_offline],
               p->t0 > start + i * len ? p->t0 - (start + i * len) : 0);
        char name[40];
        snprintf(name, sizeof(name), "cpu_share.phase%u.accounted", i + 1);
        u64 diff = sum > window ? sum - window : window - sum;
        check(diff <= 10000 + window / 10000, name,
              "the runstates add up to %lu ns over a window of %lu ns", sum, window);
        if (p->kind != 'w')
            continue;
        printf("cpu_share: phase %u wakeups=%lu missed=%lu early=%lu lat_max_ns=%lu lat_avg_ns=%lu\n",
               i + 1, p->wakeups, p->missed, p->early, p->lat_max,
               p->wakeups > p->early ? p->lat_sum / (p->wakeups - p->early) : 0);
        snprintf(name, sizeof(name), "cpu_share.phase%u.timers_not_early", i + 1);
        check(p->wakeups > 0 && p->early == 0, name, "%lu of %lu timers fired before their deadline",
              p->early, p->wakeups);
    }
    struct tern_counters c;
    u64 allowed = cmdline_u64("cpus", 0);
    if (!xdom_counters(&c))
        check(false, "cpu_share.pcpus", "tern_op get_counters failed");
    else if (allowed)
        check(c.pcpus && !(c.pcpus & ~allowed), "cpu_share.pcpus",
              "ran on physical CPUs %#lx, pinned to %#lx", c.pcpus, allowed);
    else
        check(c.pcpus && !(c.pcpus & ~3UL), "cpu_share.pcpus",
              "ran on physical CPUs %#lx (not pinned: any of 0x3)", c.pcpus);
}
