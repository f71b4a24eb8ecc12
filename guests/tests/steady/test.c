/*
 * steady - a well-behaved guest that keeps working for a while ("secs=N" on
 * the command line, default 2): the good neighbour of the robustness
 * configs (configs/tests/robust-*.cfg), where it runs beside a domain that
 * spins, executes garbage, smashes its stack or hammers the hypercall
 * interface, and must still finish with RESULT SUCCESS.
 *
 * Each round: an IPI to itself delivered exactly once; every 8th round a
 * singleshot timer 1 ms ahead, slept on with SCHEDOP_block, whose handler
 * must run after the deadline; a data page mapped into a sandbox, written
 * through it and read back through its own address, then unmapped.  At the
 * end, from runstate: the share of the time it wanted the CPU that it got
 * (running / (running + runnable)), which a spinning neighbour on the same
 * CPU may halve but not take.  PV only.
 */
#include "guest.h"

const char test_title[] = "steady: a well-behaved guest that keeps working (events, timers, mappings)";

#define MS 1000000UL

static volatile unsigned ipi_hits, timer_hits;
static volatile u64 timer_at;
static evtchn_port_t ipi, tport;

static void on_ipi(evtchn_port_t p) { (void)p; ipi_hits++; }
static void on_timer(evtchn_port_t p) { (void)p; timer_at = now_ns(); timer_hits++; }

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("PV only");
        return;
    }
    char buf[24];
    u64 secs = 2;
    if (cmdline_value("secs", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &secs);

    events_disable();
    struct evtchn_bind_ipi bi = { .vcpu = 0 };
    struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bi);
    rc |= HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
    if (!CHECK_EQ("steady.setup_events", rc, 0))
        return;
    ipi = bi.port;
    tport = bv.port;
    evtchn_set_handler(ipi, on_ipi);
    evtchn_set_handler(tport, on_timer);
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    struct pt_sandbox sb;
    if (!CHECK_EQ("steady.setup_sandbox", pt_sandbox_create(&sb, 4), 0))
        return;
    u64 *data = alloc_page();
    u64 dmfn = virt_to_mfn(data);
    events_enable();

    struct vcpu_runstate_info r0, r1;
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r0);
    u64 t0 = now_ns(), end = t0 + secs * 1000 * MS;
    unsigned rounds = 0, lost_ipi = 0, early = 0, timer_lost = 0, data_bad = 0, map_bad = 0;
    u64 late_sum = 0, late_max = 0;
    while (now_ns() < end) {
        rounds++;
        unsigned before = ipi_hits;
        evtchn_send(ipi);
        if (ipi_hits != before + 1)
            lost_ipi++;
        if ((rounds & 7) == 0) {
            unsigned th = timer_hits;
            u64 deadline = now_ns() + MS;
            struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = deadline };
            HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
            u64 guard = now_ns() + 2000 * MS;
            while (timer_hits == th && now_ns() < guard) {
                events_disable();
                if (timer_hits != th)
                    break;
                HYPERVISOR_sched_op(SCHEDOP_block, NULL);
            }
            events_enable();
            if (timer_hits == th) {
                timer_lost++;
            } else if (timer_at < deadline) {
                early++;
            } else {
                u64 late = timer_at - deadline;
                late_sum += late;
                late_max = MAX(late_max, late);
            }
        }
        u64 va = sb.base + (rounds % 512) * PAGE_SIZE;
        if (pt_sandbox_map(&sb, rounds % 512, (dmfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D))
            map_bad++;
        u64 pattern = 0x5eed000000000000ULL | rounds;
        *(volatile u64 *)(va + 8 * (rounds % 64)) = pattern;
        if (data[rounds % 64] != pattern)
            data_bad++;
        if (pt_sandbox_map(&sb, rounds % 512, 0))
            map_bad++;
        pt_ext(MMUEXT_INVLPG_LOCAL, va);
    }
    HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r1);
    u64 run = r1.time[RUNSTATE_running] - r0.time[RUNSTATE_running];
    u64 wait = r1.time[RUNSTATE_runnable] - r0.time[RUNSTATE_runnable];
    unsigned share = run + wait ? (unsigned)(run * 100 / (run + wait)) : 0;
    printf("steady: %u rounds in %lu ms; running %lu ms, runnable %lu ms (%u%% of the CPU it wanted); "
           "timer handlers %lu us late on average, %lu us at most\n",
           rounds, (now_ns() - t0) / MS, run / MS, wait / MS, share,
           rounds >= 8 ? late_sum / (rounds / 8) / 1000 : 0, late_max / 1000);

    check(rounds >= 20, "steady.made_progress", "%u rounds", rounds);
    check(lost_ipi == 0, "steady.ipi_delivered_once_each", "%u of %u sends not delivered exactly once",
          lost_ipi, rounds);
    check(timer_lost == 0 && early == 0, "steady.timers_on_time", "%u lost, %u early of %u", timer_lost,
          early, rounds / 8);
    check(map_bad == 0 && data_bad == 0, "steady.mappings", "%u mapping errors, %u data errors",
          map_bad, data_bad);
    check(share >= 20, "steady.cpu_share", "%u%% of the time it was runnable it ran", share);
    events_disable();
    CHECK_EQ("steady.teardown", pt_sandbox_destroy(&sb), 0);
    free_page(data);
}
