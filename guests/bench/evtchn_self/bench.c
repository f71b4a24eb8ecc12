/*
 * evtchn_self - EVTCHNOP_bind_ipi to vCPU 0, unmasked, events enabled;
 * EVTCHNOP_send -> the upcall handler clears evtchn_upcall_pending, the
 * selector and the port bit -> HYPERVISOR_iret -> back to the sender, one
 * upcall per send (../shared/BENCHMARKS.md).  The handler is a few
 * instructions of assembly; the warm-up checks one upcall per send.  PV only.
 */
#include "guest.h"

const char test_title[] = "bench evtchn_self: send an event to oneself";

u64 bench_upcalls;
void *bench_vcpu, *bench_pending;
u64 bench_clear;
extern char pv_trap_256[];

__asm__(
    ".text\n"
    "pv_bench_upcall:\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  mov bench_vcpu(%rip), %rax\n"
    "  movb $0, (%rax)\n"              /* evtchn_upcall_pending */
    "  movq $0, 8(%rax)\n"             /* evtchn_pending_sel */
    "  mov bench_pending(%rip), %rax\n"
    "  mov bench_clear(%rip), %rdx\n"
    "  lock and %rdx, (%rax)\n"        /* the port's pending bit */
    "  incq bench_upcalls(%rip)\n"
    "  pop %rdx\n"
    "  pop %rax\n"
    "  push $0\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n");
extern char pv_bench_upcall[];

static u64 timed(evtchn_port_t port, long *rc)
{
    struct evtchn_send s = { .port = port };
    u64 t0 = rdtsc();
    *rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
    return rdtsc() - t0;
}

static void set_upcall(void *fn)
{
    struct callback_register cb = { .type = CALLBACKTYPE_event, .address = (unsigned long)fn };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    if (rc)
        guest_panic("callback_op(event): %ld", rc);
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no event channels on a plain VM");
        return;
    }
    struct evtchn_bind_ipi bind = { .vcpu = 0 };
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &bind);
    evtchn_port_t port = bind.port;
    check(rc == 0 && port > 0 && port < 64, "setup.bind_ipi", "rc %ld port %u", rc, port);
    bench_vcpu = vcpu0();
    bench_pending = &shared_info->evtchn_pending[0];
    bench_clear = ~(1UL << port);
    set_upcall(pv_bench_upcall);
    evtchn_unmask(port);
    events_enable();

    u64 before = bench_upcalls;
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        u64 n = bench_upcalls;
        timed(port, &rc);
        bad += rc != 0 || bench_upcalls != n + 1;
    }
    check(bad == 0 && bench_upcalls - before == 200, "warmup.one_upcall_per_send",
          "%lu upcalls for 200 sends, %u bad", bench_upcalls - before, bad);
    u64 iters = bench_iters(2000, 1000000);
    struct bench b;
    bench_begin(&b, "evtchn_self");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed(port, &rc));
    events_disable();
    set_upcall(pv_trap_256);
    bench_report(&b, "");
    struct evtchn_close cl = { .port = port };
    HYPERVISOR_event_channel_op(EVTCHNOP_close, &cl);
}
