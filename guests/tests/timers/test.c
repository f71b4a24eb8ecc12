/*
 * timers - vCPU timers, blocking and runstate with Xen's semantics
 * (xen/common/domain.c common_vcpu_op, sched/core.c do_set_timer_op,
 * do_poll, vcpu_block, domain_watchdog; common/timer.c).
 *
 *   - a PV vCPU starts with a 10 ms periodic timer (pv/domain.c); periods
 *     below 1 ms or above STIME_DELTA_MAX are refused (-EINVAL); stopping it
 *     stops the ticks;
 *   - VCPUOP_set_singleshot_timer: a deadline already past fires at once
 *     (the VIRQ is sent inside the hypercall), otherwise never before the
 *     deadline (Xen runs a timer only once NOW() > expiry); re-arming
 *     replaces the deadline; stop cancels it; VCPU_SSHOTTMR_future is
 *     ignored (4.17 dropped -ETIME);
 *   - set_timer_op: 0 stops, a negative or far (> 2^50 ns) timeout becomes
 *     100 ms;
 *   - SCHEDOP_block enables events and sleeps until one is pending (at once
 *     if one already is: no lost wakeup);
 *   - runstate: the vCPU reads itself running; time blocked is accounted;
 *     a registered area is filled at once and kept up to date;
 *   - SCHEDOP_watchdog: two slots, ids 1-2, -ENOSPC, -EINVAL.
 * Timing checks are one-sided (never early) or coarse (ticks counted with
 * a wide margin), since TCG time is the host's.  PV only.
 */
#include "guest.h"

const char test_title[] = "timers: periodic, singleshot, set_timer_op, block, poll, runstate, watchdog";

#define MS 1000000UL

static evtchn_port_t tport;
static volatile unsigned ticks;
static volatile u64 tick_time;

static void on_timer(evtchn_port_t port)
{
    (void)port;
    tick_time = now_ns();
    ticks++;
}

static bool pending(evtchn_port_t p) { return (shared_info->evtchn_pending[p / 64] >> (p % 64)) & 1; }
static void clear_pending(evtchn_port_t p)
{
    __atomic_fetch_and(&shared_info->evtchn_pending[p / 64], ~(1UL << (p % 64)), __ATOMIC_SEQ_CST);
    vcpu0()->evtchn_pending_sel = 0;
    vcpu0()->evtchn_upcall_pending = 0;
}

static long poll1(evtchn_port_t p, u64 timeout)
{
    evtchn_port_t ports[1] = { p };
    struct sched_poll sp = { .nr_ports = 1, .timeout = timeout };
    set_xen_guest_handle(sp.ports, ports);
    return HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
}

/* Events masked: wait (polling) until the timer port is pending or until. */
static bool wait_timer(u64 until)
{
    while (!pending(tport) && now_ns() < until)
        if (poll1(tport, until))
            break;
    return pending(tport);
}

/* SCHEDOP_poll on no port: a sleep until the timeout.  How long it took. */
static u64 sleep_ns(u64 ns)
{
    struct sched_poll sp = { .nr_ports = 0, .timeout = now_ns() + ns };
    u64 t0 = now_ns();
    HYPERVISOR_sched_op(SCHEDOP_poll, &sp);
    return now_ns() - t0;
}

static long singleshot(u64 deadline, u32 flags)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline, .flags = flags };
    return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

static long periodic(u64 period)
{
    struct vcpu_set_periodic_timer p = { .period_ns = period };
    return HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
}

static long set_timer_op(u64 timeout)
{
    return HYPERCALL(__HYPERVISOR_set_timer_op, timeout, 0, 0, 0, 0);
}

static void setup(void)
{
    events_disable();
    struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };
    if (!CHECK_EQ("setup.bind_virq_timer", HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b), 0))
        guest_panic("no timer VIRQ");
    tport = b.port;
    evtchn_set_handler(tport, on_timer);
}

/* Events masked, running (not blocked): spin until the timer port is
 * pending or until. */
static bool spin_timer(u64 until)
{
    while (!pending(tport) && now_ns() < until)
        cpu_relax();
    return pending(tport);
}

/* Xen runs a vCPU's periodic timer only while the vCPU runs: switching it
 * out stops the timer, switching it in re-arms it and sends the tick at once
 * if one is overdue (sched/core.c sched_context_switch). */
static void periodic_timer(void)
{
    /* The default: a 10 ms periodic timer, without asking. */
    clear_pending(tport);
    u64 t0 = now_ns();
    bool got = spin_timer(t0 + 500 * MS);
    u64 t1 = now_ns();
    check(got && t1 - t0 < 400 * MS, "periodic.default_10ms", "pending %d after %lu us", got,
          (t1 - t0) / 1000);

    CHECK_EQ("periodic.below_1ms", periodic(999999), -XEN_EINVAL);
    CHECK_EQ("periodic.zero", periodic(0), -XEN_EINVAL);
    CHECK_EQ("periodic.above_max", periodic(1ULL << 62), -XEN_EINVAL);
    CHECK_EQ("periodic.huge", periodic(0x7fffffffffffffffULL), -XEN_EINVAL);
    u64 slept = sleep_ns(20 * MS);
    check(slept >= 20 * MS && slept < 1000 * MS, "periodic.huge_other_timers_on_time",
          "a 20 ms sleep took %lu ms", slept / MS);
    periodic(10 * MS);
    CHECK_EQ("periodic.bad_pointer", HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, (void *)0x10),
             -XEN_EFAULT);
    CHECK_EQ("periodic.missing_vcpu", HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 1, NULL), -XEN_ENOENT);

    /* 5 ms ticks, counted for 60 ms while running: about 12 (a wide margin
     * for TCG). */
    CHECK_EQ("periodic.set_5ms", periodic(5 * MS), 0);
    clear_pending(tport);
    unsigned n = 0;
    u64 end = now_ns() + 60 * MS, first = 0, last = 0;
    while (now_ns() < end) {
        if (spin_timer(end)) {
            u64 t = now_ns();
            if (!n)
                first = t;
            last = t;
            n++;
            clear_pending(tport);
        }
    }
    check(n >= 2 && n <= 20, "periodic.5ms_ticks", "%u ticks in 60 ms", n);
    check(n < 2 || (last - first) / (n - 1) >= 3 * MS, "periodic.5ms_spacing",
          "mean spacing %lu us", n >= 2 ? (last - first) / (n - 1) / 1000 : 0);

    /* Blocked in SCHEDOP_poll, the periodic timer does not wake the vCPU;
     * the overdue tick comes when it runs again.  Right after a tick (10 ms
     * period), so that none is due before the vCPU blocks. */
    periodic(10 * MS);
    clear_pending(tport);
    spin_timer(now_ns() + 500 * MS);
    clear_pending(tport);
    t0 = now_ns();
    long rc = poll1(tport, t0 + 40 * MS);
    t1 = now_ns();
    check(rc == 0 && t1 - t0 >= 40 * MS, "periodic.blocked_vcpu_not_woken", "poll back after %lu us",
          (t1 - t0) / 1000);
    check(pending(tport), "periodic.overdue_tick_on_wakeup", "pending %d right after", pending(tport));

    CHECK_EQ("periodic.stop", HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    clear_pending(tport);
    got = spin_timer(now_ns() + 40 * MS);
    check(!got, "periodic.stopped_no_ticks", "pending %d within 40 ms", got);
    CHECK_EQ("periodic.stop_again", HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0);
}

static void singleshot_timer(void)
{
    static const u64 deltas[] = { 100000, 1 * MS, 3 * MS, 7 * MS };
    bool early = false, missing = false;
    long worst = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(deltas); i++) {
        clear_pending(tport);
        u64 deadline = now_ns() + deltas[i];
        if (singleshot(deadline, 0))
            missing = true;
        if (!wait_timer(deadline + 2000 * MS)) {
            missing = true;
            continue;
        }
        u64 t = now_ns();
        if (t < deadline)
            early = true;
        if ((long)(t - deadline) > worst)
            worst = (long)(t - deadline);
    }
    check(!missing, "singleshot.fires", "every deadline fired (latest %ld us late)", worst / 1000);
    check(!early, "singleshot.never_early", "pvclock at wake-up >= deadline each time");

    /* Already expired: the VIRQ is sent inside the hypercall. */
    clear_pending(tport);
    CHECK_EQ("singleshot.expired", singleshot(now_ns() - MS, 0), 0);
    check(pending(tport), "singleshot.expired_fires_at_once", "pending %d right after", pending(tport));
    clear_pending(tport);
    CHECK_EQ("singleshot.zero_deadline", singleshot(0, 0), 0);
    check(pending(tport), "singleshot.zero_fires_at_once", "pending %d", pending(tport));
    clear_pending(tport);
    /* VCPU_SSHOTTMR_future is ignored: still fires at once, no -ETIME. */
    CHECK_EQ("singleshot.future_flag_ignored", singleshot(now_ns() - MS, VCPU_SSHOTTMR_future), 0);
    check(pending(tport), "singleshot.future_flag_fires", "pending %d", pending(tport));
    clear_pending(tport);

    /* Stop cancels; re-arming replaces. */
    CHECK_EQ("singleshot.arm_50ms", singleshot(now_ns() + 50 * MS, 0), 0);
    CHECK_EQ("singleshot.stop", HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL), 0);
    bool got = wait_timer(now_ns() + 80 * MS);
    check(!got, "singleshot.stop_cancels", "pending %d 80 ms later", got);
    u64 t0 = now_ns();
    singleshot(t0 + 50 * MS, 0);
    singleshot(t0 + 150 * MS, 0);
    got = wait_timer(t0 + 100 * MS);
    check(!got, "singleshot.rearm_replaces", "pending %d at +100 ms (first deadline +50 ms, second +150 ms)",
          got);
    got = wait_timer(t0 + 3000 * MS);
    check(got && now_ns() >= t0 + 150 * MS, "singleshot.rearmed_fires", "pending %d at +%lu ms", got,
          (now_ns() - t0) / MS);
    clear_pending(tport);
    CHECK_EQ("singleshot.bad_pointer", HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, (void *)0x10),
             -XEN_EFAULT);
}

static void timer_op(void)
{
    u64 deadline = now_ns() + 2 * MS;
    CHECK_EQ("set_timer_op.arm", set_timer_op(deadline), 0);
    bool got = wait_timer(deadline + 2000 * MS);
    check(got && now_ns() >= deadline, "set_timer_op.fires_not_early", "pending %d, %ld us after",
          got, (long)(now_ns() - deadline) / 1000);
    clear_pending(tport);
    CHECK_EQ("set_timer_op.arm_again", set_timer_op(now_ns() + 100 * MS), 0);
    CHECK_EQ("set_timer_op.zero_stops", set_timer_op(0), 0);
    got = wait_timer(now_ns() + 150 * MS);
    check(!got, "set_timer_op.zero_cancelled", "pending %d", got);
    /* A timeout in the past (but positive) fires at once. */
    CHECK_EQ("set_timer_op.past", set_timer_op(1), 0);
    got = wait_timer(now_ns() + 500 * MS);
    check(got, "set_timer_op.past_fires", "pending %d", got);
    clear_pending(tport);
    /* Negative: Xen's "Linux workaround" turns it into 100 ms; meanwhile
     * every other timer keeps its time (a 20 ms sleep takes 20 ms). */
    {
        u64 t0 = now_ns();
        CHECK_EQ("set_timer_op.negative", set_timer_op(1ULL << 63), 0);
        u64 slept = sleep_ns(20 * MS);
        check(slept >= 20 * MS && slept < 1000 * MS, "set_timer_op.negative_other_timers_on_time",
              "a 20 ms sleep took %lu ms", slept / MS);
        bool early_tick = pending(tport) || wait_timer(t0 + 50 * MS);
        got = early_tick || wait_timer(t0 + 3000 * MS);
        u64 t1 = now_ns();
        check(got && !early_tick && t1 - t0 >= 90 * MS, "set_timer_op.negative_becomes_100ms",
              "pending %d after %lu ms (early %d)", got, (t1 - t0) / MS, early_tick);
    }
    clear_pending(tport);
    set_timer_op(0);
}

static void blocking(void)
{
    /* SCHEDOP_block: events enabled, woken by the timer; the handler runs
     * after the deadline. */
    clear_pending(tport);
    ticks = 0;
    u64 deadline = now_ns() + 10 * MS;
    singleshot(deadline, 0);
    u64 guard = now_ns() + 3000 * MS;
    while (!ticks && now_ns() < guard) {
        events_disable();
        if (ticks)
            break;
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);     /* enables events */
    }
    events_disable();
    check(ticks == 1, "block.woken_by_timer", "%u timer upcalls", ticks);
    check(tick_time >= deadline, "block.handler_after_deadline", "handler at %ld us after the deadline",
          (long)(tick_time - deadline) / 1000);
    check(vcpu0()->evtchn_upcall_mask == 1, "block.mask_as_left", "upcall_mask %u",
          vcpu0()->evtchn_upcall_mask);

    /* Already pending: block returns at once and the upcall runs. */
    ticks = 0;
    singleshot(now_ns() - MS, 0);
    check(pending(tport) && ticks == 0, "block.pending_before", "pending %d ticks %u", pending(tport), ticks);
    u64 t0 = now_ns();
    HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    u64 t1 = now_ns();
    events_disable();
    check(ticks == 1 && t1 - t0 < 500 * MS, "block.pending_event_no_sleep", "%u upcalls, %lu us", ticks,
          (t1 - t0) / 1000);
    CHECK_EQ("block.yield", HYPERVISOR_sched_op(SCHEDOP_yield, NULL), 0);
}

static struct vcpu_runstate_info area;

static void runstate(void)
{
    struct vcpu_runstate_info ri = { .state = 99 };
    CHECK_EQ("runstate.get", HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &ri), 0);
    check(ri.state == RUNSTATE_running, "runstate.running_when_asked", "state %d", ri.state);
    u64 now = now_ns();
    check(ri.state_entry_time <= now && ri.state_entry_time > 0, "runstate.entry_time_past",
          "entered %lu, now %lu", ri.state_entry_time, now);
    check(ri.time[RUNSTATE_running] > 0, "runstate.ran", "running %lu ns", ri.time[RUNSTATE_running]);

    struct vcpu_register_runstate_memory_area reg = { 0 };
    memset(&area, 0xff, sizeof(area));
    reg.addr.v = &area;
    CHECK_EQ("runstate.register", HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &reg), 0);
    check(area.state == RUNSTATE_running && area.state_entry_time != ~0ULL, "runstate.area_filled_at_once",
          "state %d entry %#lx", area.state, area.state_entry_time);

    /* Block for ~30 ms: blocked time grows by about that. */
    u64 blocked0 = ri.time[RUNSTATE_blocked], running0 = ri.time[RUNSTATE_running];
    clear_pending(tport);
    u64 t0 = now_ns();
    singleshot(t0 + 30 * MS, 0);
    wait_timer(t0 + 3000 * MS);
    clear_pending(tport);
    u64 slept = now_ns() - t0;
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &ri);
    u64 blocked = ri.time[RUNSTATE_blocked] - blocked0;
    check(blocked >= 15 * MS && blocked <= slept + MS, "runstate.blocked_time_accounted",
          "blocked %lu us while sleeping %lu us", blocked / 1000, slept / 1000);
    check(ri.time[RUNSTATE_running] > running0, "runstate.running_time_grows", "running %lu -> %lu ns",
          running0, ri.time[RUNSTATE_running]);
    check(area.time[RUNSTATE_blocked] - blocked0 >= 15 * MS, "runstate.area_updated",
          "area blocked %lu us more", (area.time[RUNSTATE_blocked] - blocked0) / 1000);
    u64 sum = 0;
    for (unsigned i = 0; i < 4; i++)
        sum += ri.time[i];
    check(sum <= ri.state_entry_time, "runstate.times_sum_below_entry", "sum %lu entry %lu", sum,
          ri.state_entry_time);

    /* Only the range is checked at registration (guest_handle_okay). */
    reg.addr.v = (void *)0xffff830000000000ULL;
    CHECK_EQ("runstate.register_hypervisor_range",
             HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &reg), -XEN_EFAULT);
    reg.addr.v = NULL;
    CHECK_EQ("runstate.unregister", HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, &reg), 0);
}

static void watchdog(void)
{
    struct sched_watchdog w = { .id = 0, .timeout = 60 };
    CHECK_EQ("watchdog.arm_first", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 1);
    CHECK_EQ("watchdog.arm_second", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 2);
    /* Both in use: -ENOSPC, but Xen 4.17 returns it through an unsigned
     * conditional ("id == NR ? -ENOSPC : id + 1", id a uint32_t), so the
     * guest sees 0xffffffe4, not -28. */
    CHECK_EQ("watchdog.no_third", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), (u32)-XEN_ENOSPC);
    w.id = 1;
    CHECK_EQ("watchdog.rearm", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 0);
    w.id = 3;
    CHECK_EQ("watchdog.bad_id", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), -XEN_EINVAL);
    w.id = 2;
    w.timeout = 0;
    CHECK_EQ("watchdog.disarm", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 0);
    CHECK_EQ("watchdog.disarm_unused", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), -XEN_EINVAL);
    w.id = 0;
    w.timeout = 60;
    CHECK_EQ("watchdog.slot_reused", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 2);
    w.timeout = 0;
    w.id = 2;
    HYPERVISOR_sched_op(SCHEDOP_watchdog, &w);
    w.id = 1;
    CHECK_EQ("watchdog.disarm_first", HYPERVISOR_sched_op(SCHEDOP_watchdog, &w), 0);
    CHECK_EQ("watchdog.bad_pointer", HYPERVISOR_sched_op(SCHEDOP_watchdog, (void *)0x10), -XEN_EFAULT);
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("PV timers do not exist natively");
        return;
    }
    setup();
    periodic_timer();
    singleshot_timer();
    timer_op();
    blocking();
    runstate();
    watchdog();
}
