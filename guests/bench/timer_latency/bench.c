/*
 * timer_latency - a one-shot timer 200 us ahead, and how long after its
 * deadline the guest's handler starts (../shared/BENCHMARKS.md).
 * PV: VIRQ_TIMER bound, the periodic timer stopped, the deadline (pvclock
 * now + 200 us) set by VCPUOP_set_singleshot_timer; the guest spins with
 * events enabled; the upcall handler's first instructions read the TSC, which
 * the pvclock turns into system time.  Native: the LAPIC timer in one-shot
 * mode, the handler reading the TSC the same way.  Under -icount shift=0 a
 * nanosecond is one instruction.  The warm-up checks one interrupt per timer,
 * never early.
 */
#include "guest.h"

const char test_title[] = "bench timer_latency: one-shot timer 200 us ahead";

#define AHEAD_NS 200000ULL

u64 bench_timer_tsc, bench_timer_fired;
void *bench_vcpu, *bench_pending;
u64 bench_clear;
extern char pv_trap_256[];
extern char native_idt_stubs[];
extern u64 lapic_hz;
void lapic_write(u32 reg, u32 v);

__asm__(
    ".text\n"
    "pv_bench_timer:\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  rdtsc\n"
    "  shl $32, %rdx\n"
    "  or %rdx, %rax\n"
    "  mov %rax, bench_timer_tsc(%rip)\n"
    "  mov bench_vcpu(%rip), %rax\n"
    "  movb $0, (%rax)\n"
    "  movq $0, 8(%rax)\n"
    "  mov bench_pending(%rip), %rax\n"
    "  mov bench_clear(%rip), %rdx\n"
    "  lock and %rdx, (%rax)\n"
    "  incq bench_timer_fired(%rip)\n"
    "  pop %rdx\n"
    "  pop %rax\n"
    "  push $0\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n"
    "native_bench_timer:\n"
    "  push %rax\n"
    "  push %rdx\n"
    "  rdtsc\n"
    "  shl $32, %rdx\n"
    "  or %rdx, %rax\n"
    "  mov %rax, bench_timer_tsc(%rip)\n"
    "  mov $0xfee000b0, %eax\n"
    "  movl $0, (%rax)\n"              /* EOI */
    "  incq bench_timer_fired(%rip)\n"
    "  pop %rdx\n"
    "  pop %rax\n"
    "  iretq\n");
extern char pv_bench_timer[], native_bench_timer[];

/* Arm the timer; returns the deadline as a TSC value (native) or system time (PV). */
static u64 arm(void)
{
    if (platform_is_pv) {
        u64 deadline = now_ns() + AHEAD_NS;
        struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = deadline, .flags = 0 };
        if (HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t))
            guest_panic("set_singleshot_timer failed");
        return deadline;
    }
    lapic_write(0x320, VEC_LAPIC_TIMER);            /* one-shot */
    u64 count = AHEAD_NS * lapic_hz / 1000000000ULL;
    u64 t = rdtsc();
    lapic_write(0x380, (u32)count);
    return t + ns_to_tsc(AHEAD_NS);
}

/* One timer: the handler's lateness in ns (negative: early). */
static s64 one(void)
{
    u64 fired = bench_timer_fired;
    u64 deadline = arm();
    while (READ_ONCE(bench_timer_fired) == fired)
        cpu_relax();
    if (platform_is_pv)
        return (s64)(tsc_to_system_ns(bench_timer_tsc) - deadline);
    native_events.mmio++;                           /* the handler's EOI */
    native_events.irqs++;
    return (s64)bench_timer_tsc >= (s64)deadline ? (s64)tsc_to_ns(bench_timer_tsc - deadline)
                                                  : -(s64)tsc_to_ns(deadline - bench_timer_tsc);
}

void test_main(void)
{
    if (platform_is_pv) {
        struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
        long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv);
        long rc2 = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
        check(rc == 0 && rc2 == 0 && bv.port < 64, "setup.virq_timer_bound",
              "bind_virq rc %ld port %u, stop_periodic_timer rc %ld", rc, bv.port, rc2);
        bench_vcpu = vcpu0();
        bench_pending = &shared_info->evtchn_pending[0];
        bench_clear = ~(1UL << bv.port);
        struct callback_register cb = { .type = CALLBACKTYPE_event, .address = (unsigned long)pv_bench_timer };
        HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
        evtchn_unmask(bv.port);
    } else {
        native_set_gate(VEC_LAPIC_TIMER, 0, native_bench_timer);
        check(lapic_hz != 0, "setup.virq_timer_bound", "native: LAPIC timer at %lu Hz", lapic_hz);
    }
    events_enable();
    unsigned early = 0;
    u64 fired0 = bench_timer_fired;
    s64 worst = 0;
    for (int i = 0; i < 200; i++) {
        s64 l = one();
        early += l < 0;
        worst = MIN(worst, l);
    }
    check(bench_timer_fired - fired0 == 200 && early == 0, "warmup.one_late_interrupt_per_timer",
          "%lu interrupts for 200 timers, %u early (earliest %ld ns)", bench_timer_fired - fired0,
          early, worst);
    u64 iters = bench_iters(1000, 10000);
    struct bench b;
    bench_begin(&b, "timer_latency");
    b.overhead = 0;                 /* a latency, not an rdtsc window */
    for (u64 i = 0; i < iters; i++) {
        s64 l = one();
        /* In wall mode samples are TSC ticks; in icount mode ns = instructions. */
        bench_add(&b, l < 0 ? 0 : bench_wall_mode() ? ns_to_tsc((u64)l) : (u64)l);
    }
    events_disable();
    bench_report(&b, "");
    if (platform_is_pv) {
        struct callback_register cb = { .type = CALLBACKTYPE_event, .address = (unsigned long)pv_trap_256 };
        HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
    } else {
        native_set_gate(VEC_LAPIC_TIMER, 0, native_idt_stubs + 16 * VEC_LAPIC_TIMER);
    }
}
