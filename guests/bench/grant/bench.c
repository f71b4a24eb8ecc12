/*
 * grant - grant-table operations on the domain's own frames, which Xen 4.17
 * allows (DOMID_SELF) (../shared/BENCHMARKS.md):
 *   grant_copy       GNTTABOP_copy of 4 KiB between two own frames (gmfn)
 *   grant_map_unmap  an own v1 grant entry (GTF_permit_access) mapped with
 *                    GNTMAP_host_map at a kernel VA, then unmapped
 * Warm-ups check the copied data and the data read through the mapping.
 * PV only, and a dom0 test: the map names domain 0 as the granter (Xen
 * refuses DOMID_SELF there with GNTST_bad_domain, while GNTTABOP_copy takes
 * it) and the grant entry names dom0 as the grantee.
 */
#include "guest.h"

const char test_title[] = "bench grant: grant_copy, grant_map_unmap";

static u8 gnttab_va[4096] __aligned(4096);
static u8 map_va[4096] __aligned(4096);

static u64 copy_timed(struct gnttab_copy *op)
{
    u64 t0 = rdtsc();
    HYPERVISOR_grant_table_op(GNTTABOP_copy, op, 1);
    return rdtsc() - t0;
}

static void bench_copy(void)
{
    u64 *src = alloc_page(), *dst = alloc_page();
    struct gnttab_copy op = {
        .source = { .u.gmfn = virt_to_mfn(src), .domid = DOMID_SELF, .offset = 0 },
        .dest = { .u.gmfn = virt_to_mfn(dst), .domid = DOMID_SELF, .offset = 0 },
        .len = 4096, .flags = 0,
    };
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        src[0] = src[511] = 0x1000 + i;
        op.status = 99;
        copy_timed(&op);
        bad += op.status != GNTST_okay || dst[0] != 0x1000u + i || dst[511] != 0x1000u + i;
    }
    check(bad == 0, "warmup.copy_moves_data", "%u of 200 wrong (last status %d)", bad, op.status);
    u64 iters = bench_iters(2000, 200000);
    struct bench b;
    bench_begin(&b, "grant_copy");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, copy_timed(&op));
    bench_report(&b, "");
}

static u64 map_unmap_timed(grant_ref_t ref, int16_t *st, u64 *seen)
{
    struct gnttab_map_grant_ref map = {
        .host_addr = (u64)map_va, .flags = GNTMAP_host_map, .ref = ref, .dom = 0,
    };
    u64 t0 = rdtsc();
    HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
    *seen = map.status == GNTST_okay ? *(volatile u64 *)map_va : 0;
    struct gnttab_unmap_grant_ref unmap = {
        .host_addr = (u64)map_va, .dev_bus_addr = 0, .handle = map.handle,
    };
    HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
    u64 t1 = rdtsc();
    *st = map.status ? map.status : unmap.status;
    return t1 - t0;
}

static void bench_map(void)
{
    xen_pfn_t frame = 0;
    struct gnttab_setup_table setup = { .dom = DOMID_SELF, .nr_frames = 1 };
    set_xen_guest_handle(setup.frame_list, &frame);
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &setup, 1);
    long rc2 = rc ? rc : map_page(gnttab_va, frame, PTE_W | PTE_A | PTE_D);
    check(rc == 0 && setup.status == GNTST_okay && rc2 == 0, "setup.grant_table_mapped",
          "setup_table rc %ld status %d frame %#lx, map %ld", rc, setup.status, (u64)frame, rc2);
    if (rc || rc2)
        return;
    u64 *data = alloc_page();
    data[0] = 0xfeedface;
    grant_entry_v1_t *gt = (grant_entry_v1_t *)gnttab_va;
    const grant_ref_t ref = 10;
    gt[ref].domid = 0;                  /* the grantee: dom0, ourselves */
    gt[ref].frame = (u32)virt_to_mfn(data);
    wmb();
    gt[ref].flags = GTF_permit_access;
    unmap_page(map_va);                 /* the VA's own frame is not needed */

    int16_t st;
    u64 seen;
    unsigned bad = 0;
    for (int i = 0; i < 200; i++) {
        map_unmap_timed(ref, &st, &seen);
        bad += st != GNTST_okay || seen != 0xfeedface;
    }
    check(bad == 0, "warmup.map_reads_granted_frame", "%u of 200 wrong (last status %d, read %#lx)",
          bad, st, seen);
    struct fault f = PROBE("mov (%0), %%rax", :: "r"(map_va) : "rax");
    check(f.vector == 14, "warmup.unmapped_after_unmap", "read after unmap: vector %d", f.vector);
    u64 iters = bench_iters(2000, 200000);
    struct bench b;
    bench_begin(&b, "grant_map_unmap");
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, map_unmap_timed(ref, &st, &seen));
    bench_report(&b, "");
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no grant tables on a plain VM");
        return;
    }
    bench_copy();
    bench_map();
}
