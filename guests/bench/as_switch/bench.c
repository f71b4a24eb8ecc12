/*
 * as_switch - MMUEXT_NEW_BASEPTR alternating between two pinned kernel L4s
 * (two processes' kernel tables, both mapping the kernel; the user L4 is not
 * switched), then one 8-byte load (../shared/BENCHMARKS.md).  Native: a CR3
 * write and the load.  The warm-up checks the hypercall's result and the
 * loaded value.
 */
#include "guest.h"

const char test_title[] = "bench as_switch: kernel address-space switch + one load";

extern u64 native_pml4[];
static volatile u64 target = 0x600d;

static u64 timed(u64 base, long *rc)
{
    u64 t0 = rdtsc(), v;
    if (platform_is_pv) {
        struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = base };
        *rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
    } else {
        write_cr3(base);
        *rc = 0;
    }
    v = target;
    u64 t1 = rdtsc();
    if (v != 0x600d)
        *rc = -1;
    return t1 - t0;
}

void test_main(void)
{
    u64 *l4b = alloc_page();
    u64 base[2];
    if (platform_is_pv) {
        const u64 *l4a = (const u64 *)start_info->pt_base;
        for (unsigned i = 0; i < 512; i++)
            if (i < 256 || i >= 272)    /* 256-271 belong to the hypervisor */
                l4b[i] = l4a[i];
        base[0] = virt_to_mfn(l4a);
        base[1] = virt_to_mfn(l4b);
        long rc = map_page(l4b, base[1], PTE_A);
        struct mmuext_op pin = { .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = base[1] };
        long rc2 = HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF);
        check(rc == 0 && rc2 == 0, "setup.second_l4_pinned", "read-only remap %ld, pin %ld", rc, rc2);
    } else {
        memcpy(l4b, native_pml4, PAGE_SIZE);
        base[0] = (u64)native_pml4;
        base[1] = (u64)l4b;
        check(true, "setup.second_l4_pinned", "native: a copy of the boot PML4");
    }
    long rc;
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        timed(base[(i + 1) & 1], &rc);
        bad += rc != 0;
    }
    timed(base[0], &rc);
    check(bad == 0 && rc == 0, "warmup.switch_and_load", "%u of 200 failed", bad);
    u64 iters = bench_iters(2000, 1000000);
    struct bench b;
    bench_begin(&b, "as_switch");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed(base[(i + 1) & 1], &rc));
    timed(base[0], &rc);
    bench_report(&b, "");
}
