/*
 * update_va_mapping - one kernel VA alternated between two frames with
 * UVMF_INVLPG (../shared/BENCHMARKS.md).  The warm-up reads through the VA
 * and checks it sees the frame just mapped.  PV only.
 */
#include "guest.h"

const char test_title[] = "bench update_va_mapping: remap one VA";

static u8 window[4096] __aligned(4096);

static u64 timed(u64 pte, long *rc)
{
    u64 t0 = rdtsc();
    *rc = HYPERVISOR_update_va_mapping((u64)window, pte, UVMF_INVLPG);
    return rdtsc() - t0;
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no update_va_mapping on a plain VM");
        return;
    }
    u64 *fa = alloc_page(), *fb = alloc_page();
    fa[0] = 0xaaaa;
    fb[0] = 0xbbbb;
    u64 pte[2] = { (virt_to_mfn(fa) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D,
                   (virt_to_mfn(fb) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D };
    u64 own = (virt_to_mfn(window) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D;
    long rc;
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        timed(pte[i & 1], &rc);
        bad += rc != 0 || *(volatile u64 *)window != ((i & 1) ? 0xbbbb : 0xaaaa);
    }
    check(bad == 0, "warmup.reads_see_new_frame", "%u of 200 wrong", bad);
    u64 iters = bench_iters(2000, 1000000);
    struct bench b;
    bench_begin(&b, "update_va_mapping");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed(pte[i & 1], &rc));
    bench_report(&b, "");
    HYPERVISOR_update_va_mapping((u64)window, own, UVMF_INVLPG);
}
