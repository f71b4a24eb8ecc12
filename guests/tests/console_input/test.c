/*
 * console_input - console input reaches the guest, with its notification.
 *
 * "expect=WORD" on the command line: the guest prints CONSOLE READY and
 * reads characters until a newline, for at most "secs=N" seconds (default
 * 60), then checks the line equals WORD.  On PV it waits with events enabled
 * on the console's event (the ring's port for an unprivileged domain,
 * VIRQ_CONSOLE for the initial one) and checks that the event came.  With
 * "debugvirq=1" it then waits for VIRQ_DEBUG (Tern's 'q' key).  Without
 * expect= there is nobody to type: it skips.
 */
#include "guest.h"

const char test_title[] = "console_input: a typed line reaches the guest with its notification";

static volatile unsigned notified, ticks, debug_virqs;

static void on_input(evtchn_port_t p) { (void)p; notified++; }
static void on_timer(evtchn_port_t p) { (void)p; ticks++; }
static void on_debug(evtchn_port_t p) { (void)p; debug_virqs++; }

static evtchn_port_t bind_virq(unsigned virq)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = 0 };
    if (HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &b))
        guest_panic("cannot bind VIRQ %u", virq);
    return b.port;
}

void test_main(void)
{
    char want[64], line[64], buf[24];
    if (!cmdline_value("expect", want, sizeof(want))) {
        test_skip("no expect= on the command line: nobody types");
        return;
    }
    u64 secs = 60;
    if (cmdline_value("secs", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &secs);

    bool want_debug = cmdline_has("debugvirq=1") && platform_is_pv;
    evtchn_port_t in_port = 0, tport = 0;
    if (want_debug) {
        evtchn_port_t dport = bind_virq(VIRQ_DEBUG);
        evtchn_set_handler(dport, on_debug);
        evtchn_unmask(dport);
    }
    if (platform_is_pv) {
        events_disable();
        in_port = pv_console_port();
        if (!in_port)
            in_port = bind_virq(VIRQ_CONSOLE);
        tport = bind_virq(VIRQ_TIMER);
        evtchn_set_handler(in_port, on_input);
        evtchn_set_handler(tport, on_timer);
        evtchn_unmask(in_port);
        evtchn_unmask(tport);
    }
    printf("CONSOLE READY\n");
    if (platform_is_pv) {
        /* Output notifications on the same port came before this point. */
        notified = 0;
        events_enable();
    }

    unsigned n = 0;
    bool done = false;
    /* console_io's reader (the initial domain): a read into a bad buffer
     * once input is there answers -EFAULT and loses nothing (the line check
     * below sees every character). */
    bool probe = platform_is_pv && pv_console_port() == 0;
    long probe_rc = 0;
    u64 deadline = now_ns() + secs * 1000000000ULL;
    while (!done && now_ns() < deadline) {
        int c = -1;
        if (probe && notified) {
            probe_rc = HYPERVISOR_console_io(CONSOLEIO_read, 8, (char *)0x10);  /* page 0: unmapped */
            probe = false;
        }
        if (!probe)
            c = console_getc();
        if (c < 0) {
            if (platform_is_pv) {
                struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = now_ns() + 20000000ULL };
                HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
                /* Blocks until input or the timer; an input event that came
                 * just before was counted by the handler, and the timer
                 * bounds the wait either way. */
                events_disable();
                HYPERVISOR_sched_op(SCHEDOP_block, NULL);   /* enables events */
            }
            continue;
        }
        if (c == '\r' || c == '\n')
            done = n > 0;
        else if (n < sizeof(line) - 1)
            line[n++] = (char)c;
    }
    line[n] = '\0';
    while (want_debug && !debug_virqs && now_ns() < deadline) {
        struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = now_ns() + 20000000ULL };
        HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
        events_disable();
        HYPERVISOR_sched_op(SCHEDOP_block, NULL);
    }
    if (platform_is_pv)
        events_disable();
    CHECK("console.line", done && !strcmp(line, want), "read \"%s\" (%s), expected \"%s\"", line,
          done ? "a whole line" : "no newline before the deadline", want);
    if (platform_is_pv)
        CHECK("console.notified", notified > 0, "%u input notifications", notified);
    if (platform_is_pv && pv_console_port() == 0)
        CHECK_EQ("console.read_bad_buffer", probe_rc, -XEN_EFAULT);
    if (want_debug)
        CHECK("console.debug_virq", debug_virqs == 1, "%u VIRQ_DEBUG upcalls", debug_virqs);
}
