/*
 * companion - a small PV domain that runs beside a Linux domain, so that a
 * test can show the hypervisor still serving one domain after another one
 * crashed (tests/integration/linux.py, the sysrq crash test).
 *
 * It prints "companion: alive after N s" once a second of pvclock time for
 * seconds=N (command line, default 30), blocked in SCHEDOP_block between beats
 * (VIRQ_TIMER bound, a one-shot timer at the next beat), then checks that
 * every beat came and none came early, and ends cleanly.
 */
#include "guest.h"

const char test_title[] = "companion: a heartbeat a second beside another domain";

static volatile u64 timer_events;

static void on_timer(evtchn_port_t port)
{
    (void)port;
    timer_events++;
}

static void wait_until(u64 deadline)
{
    while (now_ns() < deadline) {
        if (!platform_is_pv) {
            cpu_relax();
            continue;
        }
        struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline, .flags = 0 };
        if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t))
            guest_panic("set_singleshot_timer failed");
        /* Xen's SCHEDOP_block enables event delivery and blocks unless an
         * event is already pending: no wakeup is lost between the check
         * above and the block. */
        events_disable();
        if (now_ns() < deadline)
            HYPERVISOR_sched_op(SCHEDOP_block, NULL);
        events_enable();
    }
}

void test_main(void)
{
    char buf[24];
    u64 seconds = 30, v;
    const char *s = cmdline_value("seconds", buf, sizeof(buf));
    if (s && parse_u64(s, strlen(s), &v) == strlen(s) && v)
        seconds = v;
    if (platform_is_pv) {
        struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
        long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
        HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
        if (!check(rc == 0, "setup.virq_timer", "bind_virq rc %ld port %u", rc, bv.port))
            return;
        evtchn_set_handler(bv.port, on_timer);
        evtchn_unmask(bv.port);
        events_enable();
    }
    u64 start = now_ns(), early = 0;
    for (u64 beat = 1; beat <= seconds; beat++) {
        u64 deadline = start + beat * 1000000000ULL;
        wait_until(deadline);
        u64 now = now_ns();
        early += now < deadline;
        printf("companion: alive after %lu s (%lu timer events)\n", (u64)((now - start) / 1000000000ULL),
               timer_events);
    }
    events_disable();
    check(early == 0, "heartbeats", "%lu beats a second apart by pvclock, %lu early, %lu timer events",
          seconds, early, timer_events);
}
