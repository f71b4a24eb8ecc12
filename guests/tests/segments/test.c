/*
 * segments - how a PV kernel sets segment bases and descriptor tables.
 *
 * set_segment_base: FS and the user GS base take effect (a load through
 * %fs/%gs sees the new base); a non-canonical base and an unknown selector
 * are refused.  update_descriptor writes one 8-byte descriptor into a frame
 * the guest owns after validating it (Xen's check_descriptor): the
 * descriptors a PV kernel may hold are written, the others refused without a
 * write; unaligned and foreign addresses are refused.  set_gdt installs a
 * frame of descriptors (read-only mapped) and refuses an entry count past
 * the hypervisor's reserved entries.  Every expected value was read from Xen.
 */
#include "guest.h"

const char test_title[] = "segments: set_segment_base, update_descriptor, set_gdt";

static u64 fs_target = 0xf5f5f5f5f5f5f5f5ULL;
static u8 desc_page[4096] __aligned(4096);
static u8 gdt_page[4096] __aligned(4096);

static void bases(void)
{
    long rc = HYPERVISOR_set_segment_base(SEGBASE_FS, (u64)&fs_target);
    u64 v = 0;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    check(rc == 0 && v == fs_target, "segbase.fs", "rc %ld, %%fs:0 = %#lx", rc, v);
    rc = HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
    CHECK_EQ("segbase.fs_zero", rc, 0);
    CHECK_EQ("segbase.fs_noncanonical",
             HYPERVISOR_set_segment_base(SEGBASE_FS, 0x8000000000000000ULL), -XEN_EINVAL);
    CHECK_EQ("segbase.gs_kernel_noncanonical",
             HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0x0000800000000000ULL), -XEN_EINVAL);
    CHECK_EQ("segbase.gs_user_noncanonical",
             HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0xffff000000000000ULL), -XEN_EINVAL);
    rc = HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (u64)&fs_target);
    __asm__ volatile("mov %%gs:0, %0" : "=r"(v));
    check(rc == 0 && v == fs_target, "segbase.gs_kernel", "rc %ld, %%gs:0 = %#lx", rc, v);
    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
    CHECK_EQ("segbase.gs_user", HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0x1000), 0);
    CHECK_EQ("segbase.unknown_which", HYPERVISOR_set_segment_base(7, 0), -XEN_EINVAL);
}

struct desc_case { const char *name; u64 desc; long rc; u64 readback; };

static void descriptors(void)
{
    u64 base = virt_to_mfn(desc_page) << PAGE_SHIFT;
    static const struct desc_case cases[] = {
        /* name                           descriptor              rc            stored */
        { "desc.user_data_dpl3",          0x00cff2000000ffffULL, 0,            0x00cff2000000ffffULL },
        { "desc.user_code64_dpl3",        0x00affa000000ffffULL, 0,            0x00affa000000ffffULL },
        { "desc.not_present",             0x00cf72000000ffffULL, 0,            0x00cf72000000ffffULL },
        { "desc.null",                    0,                     0,            0 },
        { "desc.code_dpl0",               0x00af9a000000ffffULL, 0,            0x00affa000000ffffULL },
        { "desc.data_dpl0",               0x00cf92000000ffffULL, 0,            0x00cff2000000ffffULL },
        { "desc.tss",                     0x0000e90000000067ULL, -XEN_EINVAL, 0 },
        { "desc.ldt",                     0x0000e20000000fffULL, -XEN_EINVAL, 0 },
        /* Accepted, but Xen rewrites a call gate: DPL 0, target selector RPL 3. */
        { "desc.call_gate_fixed_up",      0x0000ec0000000000ULL, 0,            0x00008c0000030000ULL },
        { "desc.interrupt_gate",          0x0000ee0000000000ULL, -XEN_EINVAL, 0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct desc_case *c = &cases[i];
        u64 *slot = (u64 *)desc_page + i;
        *slot = 0;
        long rc = HYPERVISOR_update_descriptor(base + i * 8, c->desc);
        u64 got = *slot;
        check(rc == c->rc && got == c->readback, c->name,
              "rc %ld (expected %ld), stored %#lx (expected %#lx)", rc, c->rc, got, c->readback);
    }
    CHECK_EQ("desc.unaligned", HYPERVISOR_update_descriptor(base + 4, 0x00cff2000000ffffULL),
             -XEN_EINVAL);
    /* Not a frame of ours: machine address 0. */
    CHECK_EQ("desc.foreign_frame", HYPERVISOR_update_descriptor(0, 0x00cff2000000ffffULL),
             -XEN_EINVAL);
    /* A page-table frame (our L4) cannot take a descriptor. */
    u64 l4 = virt_to_mfn((void *)start_info->pt_base) << PAGE_SHIFT;
    CHECK_EQ("desc.page_table_frame", HYPERVISOR_update_descriptor(l4 + 8 * 300, 0), -XEN_EINVAL);
}

static void gdt(void)
{
    u64 *g = (u64 *)gdt_page;
    g[1] = 0x00cff2000000ffffULL;       /* selector 0x0b: user data, DPL 3 */
    g[2] = 0x00cf72000000ffffULL;       /* selector 0x13: the same, not present */
    g[3] = 0;                           /* selector 0x1b: empty (a system type) */
    xen_pfn_t frame = virt_to_mfn(gdt_page);
    /* Still mapped writable: refused. */
    long rc = HYPERVISOR_set_gdt(&frame, 512);
    CHECK_EQ("gdt.writable_frame_refused", rc, -XEN_EINVAL);
    map_page(gdt_page, frame, PTE_A);
    rc = HYPERVISOR_set_gdt(&frame, 512);
    CHECK_EQ("gdt.install", rc, 0);
    u16 sel = 0x0b;
    struct fault f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == -1, "gdt.load_own_selector", "mov 0x0b to es: fault %d (%s)", f.vector,
          vector_name(f.vector));
    sel = 0x13;
    f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == 11 && f.error_code == 0x10, "gdt.not_present_np",
          "vector %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);
    sel = 0x1b;
    f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == 13 && f.error_code == 0x18, "gdt.empty_entry_gp",
          "vector %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);
    __asm__ volatile("mov %w0, %%es" :: "r"(0));
    /* Xen's own flat selectors stay usable after set_gdt. */
    sel = FLAT_KERNEL_SS;
    f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == -1, "gdt.flat_selectors_kept", "mov %#x to es: fault %d", sel, f.vector);
    __asm__ volatile("mov %w0, %%es" :: "r"(0));
    CHECK_EQ("gdt.too_many_entries", HYPERVISOR_set_gdt(&frame, 512 * 16), -XEN_EINVAL);
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("segment hypercalls do not exist natively");
        return;
    }
    bases();
    descriptors();
    gdt();
}
