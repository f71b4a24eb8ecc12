/*
 * mmu_update - one mmu_update hypercall of N MMU_NORMAL_PT_UPDATEs on
 * entries 0..N-1 of a pinned L1 (../shared/BENCHMARKS.md mmu_update_b1,
 * _b16, _b512).  Each call moves every entry to the other of two data
 * frames, so each update takes a reference on the new frame and drops the
 * old one.  Reported per entry.  The warm-up reads the entries back through
 * the L1's read-only mapping.  PV only.
 */
#include "guest.h"

const char test_title[] = "bench mmu_update: N page-table updates per hypercall";

static mmu_update_t req[2][512];

static u64 timed(const mmu_update_t *r, unsigned n, long *rc)
{
    u64 t0 = rdtsc();
    *rc = HYPERVISOR_mmu_update(r, n, NULL, DOMID_SELF);
    return rdtsc() - t0;
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no mmu_update on a plain VM");
        return;
    }
    u64 *l1 = alloc_page(), *fa = alloc_page(), *fb = alloc_page();
    if (!l1 || !fa || !fb)
        guest_panic("out of pages");
    u64 l1_mfn = virt_to_mfn(l1), mfn[2] = { virt_to_mfn(fa), virt_to_mfn(fb) };
    fa[0] = 0xaaaa;
    fb[0] = 0xbbbb;
    long rc = map_page(l1, l1_mfn, PTE_A);
    struct mmuext_op pin = { .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = l1_mfn };
    long rc2 = HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF);
    check(rc == 0 && rc2 == 0, "setup.pinned_l1", "read-only remap %ld, pin %ld", rc, rc2);
    for (unsigned i = 0; i < 512; i++)
        for (int f = 0; f < 2; f++)
            req[f][i] = (mmu_update_t){
                .ptr = ((l1_mfn << PAGE_SHIFT) + i * 8) | MMU_NORMAL_PT_UPDATE,
                .val = (mfn[f] << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D,
            };

    static const unsigned sizes[] = { 1, 16, 512 };
    for (unsigned s = 0; s < ARRAY_SIZE(sizes); s++) {
        unsigned n = sizes[s];
        char name[32], cname[64];
        snprintf(name, sizeof(name), "mmu_update_b%u", n);
        unsigned bad = 0;
        for (int i = 0; i < 200; i++) {
            int f = i & 1;
            timed(req[f], n, &rc);
            bad += rc != 0 || (l1[0] & PTE_ADDR_MASK) >> PAGE_SHIFT != mfn[f] ||
                   (l1[n - 1] & PTE_ADDR_MASK) >> PAGE_SHIFT != mfn[f];
        }
        snprintf(cname, sizeof(cname), "warmup.%s_entries_read_back", name);
        check(bad == 0, cname, "%u of 200 calls failed or left the wrong frame", bad);
        u64 iters = bench_iters(n == 512 ? 1000 : 2000, n == 512 ? 20000 : 1000000 / n);
        struct bench b;
        bench_begin(&b, name);
        b.per = n;
        for (u64 i = 0; i < iters; i++)
            bench_add(&b, timed(req[i & 1], n, &rc));
        bench_report(&b, "");
    }
    /* Leave the L1 empty and unpinned. */
    for (unsigned i = 0; i < 512; i++)
        req[0][i].val = 0;
    HYPERVISOR_mmu_update(req[0], 512, NULL, DOMID_SELF);
    pin.cmd = MMUEXT_UNPIN_TABLE;
    HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF);
}
