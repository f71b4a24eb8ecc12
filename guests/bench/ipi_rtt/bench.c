/*
 * ipi_rtt - an IPI ping-pong between two CPUs of one guest
 * (../shared/BENCHMARKS.md: the native counterpart of evtchn_rtt_local and
 * evtchn_rtt_remote).  The same image on every platform, with two CPUs
 * (meta: 2 vCPUs on 2 physical CPUs under Xen and Tern, a 2-CPU plain VM
 * natively):
 *   native      a fixed local-APIC IPI through the ICR, taken by the other
 *               CPU's interrupt handler (smp.c, native.c; EOI included);
 *   Xen, Tern   EVTCHNOP_send on an EVTCHNOP_bind_ipi port of the other
 *               vCPU, taken by its event upcall (smp_send_ipi).
 * A round trip: CPU 0 reads the TSC, sends CPU 1 an IPI and waits halted
 * (PV SCHEDOP_block, natively sti; hlt) until CPU 1's answer has been
 * handled, then reads the TSC again.  CPU 1 waits the same way and answers
 * each IPI from its loop.  Both go through guests/lib's interrupt or upcall
 * dispatch (smp_send_ipi's handler counts each IPI), so the figure includes
 * a small kernel's IPI path on each side as well as the platform's.
 *
 * Neither CPU spins: under -icount QEMU runs the CPUs in turn, and the TSC
 * (virtual time) counts the instructions of both CPUs, hypervisor included,
 * between the two reads: "instructions" is that total, virtual ns across
 * two CPUs rather than one path's length (ARCHITECTURE.md, Measuring).
 * The warm-up (200 round trips) checks that each IPI arrives once: one
 * answer per ping, each CPU's count up by exactly one per round.
 *
 * Events per round trip, both CPUs: natively the drivers' counts (global);
 * on Tern the hypervisor counters of both vCPUs (each reads its own, CPU 1
 * on a ping that asks for it outside the timed rounds); none on Xen.
 */
#include "guest.h"

const char test_title[] = "bench ipi_rtt: IPI round trip between two CPUs";

#define WARMUP 200

static volatile u32 pong_stop;
static volatile u32 pong_snap_req;          /* 1: take the start counters, 2: the end */
static u32 pong_snap_done;
static struct tern_counters pong_snap[2];
static volatile u64 pong_answered;
static u64 pong_seen0;                      /* CPU 1's IPI count before the first ping */

/* Until this CPU's IPI count moves past seen, halted between looks. */
static void wait_ipi(struct smp_cpu *c, u64 seen)
{
    while (__atomic_load_n(&c->ipis, __ATOMIC_ACQUIRE) == seen)
        smp_halt();
}

/* CPU 1: answer every IPI until pong_stop. */
static void pong(void *arg)
{
    (void)arg;
    struct smp_cpu *c = smp_this();
    u64 seen = pong_seen0;              /* a ping may come before we get here */
    for (;;) {
        wait_ipi(c, seen);
        seen++;
        if (pong_stop)
            break;
        u32 req = pong_snap_req;
        if (req != pong_snap_done && req >= 1 && req <= 2) {
            tern_op(TERNOP_get_counters, &pong_snap[req - 1]);
            pong_snap_done = req;
        }
        pong_answered++;
        smp_send_ipi(0);
    }
}

static u64 round_trip(struct smp_cpu *c)
{
    u64 seen = c->ipis;
    u64 t0 = rdtsc();
    smp_send_ipi(1);
    wait_ipi(c, seen);
    return rdtsc() - t0;
}

static void add_counters(struct tern_counters *sum, const struct tern_counters *x)
{
    sum->hypercalls += x->hypercalls;
    sum->exceptions += x->exceptions;
    sum->interrupts += x->interrupts;
    sum->syscall_bounces += x->syscall_bounces;
    sum->as_switches += x->as_switches;
    sum->domain_switches += x->domain_switches;
    sum->ipis += x->ipis;
}

void test_main(void)
{
    unsigned n = smp_init();
    if (n < 2) {
        test_skip("one CPU: the round trip needs two");
        return;
    }
    events_disable();
    struct smp_cpu *c0 = &smp_cpus[0], *c1 = &smp_cpus[1];
    bool tern = tern_present();
    u64 pings0 = c1->ipis, pongs0 = c0->ipis;
    pong_seen0 = pings0;
    smp_call(1, pong, NULL);

    unsigned bad = 0;
    for (int i = 0; i < WARMUP; i++) {
        u64 before = c0->ipis;
        round_trip(c0);
        bad += c0->ipis != before + 1;
    }
    check(bad == 0 && c0->ipis - pongs0 == WARMUP && c1->ipis - pings0 == WARMUP &&
          pong_answered == WARMUP, "warmup.one_answer_per_ping",
          "%u bad rounds; CPU 1 got %lu pings, CPU 0 %lu answers, for %d", bad, c1->ipis - pings0,
          c0->ipis - pongs0, WARMUP);

    /* CPU 1's start counters, on an untimed ping. */
    if (tern) {
        pong_snap_req = 1;
        round_trip(c0);
    }
    u64 iters = bench_iters(2000, 20000);
    struct bench b;
    bench_begin(&b, "ipi_rtt");
    struct tern_counters me0 = b.tern0, me1;
    b.tern = false;                     /* reported below, both vCPUs' */
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, round_trip(c0));
    char extra[400] = "\"cpus\": 2";
    if (tern && tern_op(TERNOP_get_counters, &me1) == 0) {
        pong_snap_req = 2;              /* and its end counters */
        round_trip(c0);
        if (pong_snap_done == 2) {
            add_counters(&me0, &pong_snap[0]);
            add_counters(&me1, &pong_snap[1]);
            char ev[300];
            bench_tern_events_json(ev, sizeof(ev), &me0, &me1, b.total);
            snprintf(extra, sizeof(extra), "\"cpus\": 2, \"events\": {%s}", ev);
        }
    }
    bench_report(&b, extra);

    pong_stop = 1;
    smp_send_ipi(1);
    smp_wait(1);
}
