/*
 * sched_yield - SCHEDOP_yield with one runnable vCPU: the scheduler runs and
 * picks us again (../shared/BENCHMARKS.md).  The warm-up checks the result
 * (0) and that time moves on.  PV only.
 */
#include "guest.h"

const char test_title[] = "bench sched_yield: SCHEDOP_yield";

static u64 timed(long *rc)
{
    u64 t0 = rdtsc();
    *rc = HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
    return rdtsc() - t0;
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no scheduler hypercalls on a plain VM");
        return;
    }
    long rc;
    unsigned bad = 0;
    u64 t0 = now_ns();
    for (int i = 0; i < 200; i++) {
        timed(&rc);
        bad += rc != 0;
    }
    check(bad == 0 && now_ns() > t0, "warmup.yield_returns_0", "%u of 200 failed", bad);
    u64 iters = bench_iters(2000, 1000000);
    struct bench b;
    bench_begin(&b, "sched_yield");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed(&rc));
    bench_report(&b, "");
}
