/*
 * pt_pin_unpin - MMUEXT_PIN_L1_TABLE then MMUEXT_UNPIN_TABLE of a zeroed,
 * read-only-mapped page: two hypercalls (../shared/BENCHMARKS.md).  The
 * warm-up checks both succeed, and that pinning a page still mapped
 * writable is refused.  PV only.
 */
#include "guest.h"

const char test_title[] = "bench pt_pin_unpin: pin and unpin an L1";

static u64 timed(u64 mfn, long *rc)
{
    struct mmuext_op pin = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn };
    struct mmuext_op unpin = { .cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = mfn };
    u64 t0 = rdtsc();
    long a = HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF);
    long b = HYPERVISOR_mmuext_op(&unpin, 1, NULL, DOMID_SELF);
    u64 t1 = rdtsc();
    *rc = a ? a : b;
    return t1 - t0;
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no page-table pinning on a plain VM");
        return;
    }
    u64 *p = alloc_page();
    u64 mfn = virt_to_mfn(p);
    struct mmuext_op pin = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn };
    long rc = HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF);
    CHECK_EQ("setup.writable_page_not_pinnable", rc, -XEN_EINVAL);
    map_page(p, mfn, PTE_A);
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        timed(mfn, &rc);
        bad += rc != 0;
    }
    check(bad == 0, "warmup.pin_unpin_succeed", "%u of 200 failed", bad);
    u64 iters = bench_iters(2000, 200000);
    struct bench b;
    bench_begin(&b, "pt_pin_unpin");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed(mfn, &rc));
    bench_report(&b, "");
}
