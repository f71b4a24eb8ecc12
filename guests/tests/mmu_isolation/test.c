/*
 * mmu_isolation - one check per rule of the PV MMU (Xen's page types and
 * reference counts, xen/arch/x86/mm.c), each answered with the error code
 * Xen 4.17 gives or the fault a Xen guest takes, plus positive checks that
 * what a mapping shows is the frame it names.
 *
 * Where the answers come from (Xen 4.17, release build):
 *   get_page_from_l1e       a present L1 entry: flags outside the allowed set
 *                           -EINVAL (the hardware domain may also set
 *                           PWT/PCD/PAT); a RAM frame owned by someone else,
 *                           or a writable mapping of a frame whose type is not
 *                           "writable" (page tables, descriptor pages) -EBUSY;
 *                           a frame outside RAM the caller has no I/O rights
 *                           to -EPERM; a special (Xen heap) page with a cache
 *                           attribute -EACCES.
 *   get_page_from_l[234]e   L2/L3/L4 flags: PSE, PWT, PCD, G refused
 *                           (-EINVAL); the frame must be ours and of the next
 *                           level down, else -EINVAL; a "linear" entry (a
 *                           table of the same level) only read-only, only of
 *                           a validated table, and no chains.
 *   mod_l4_entry            slots 256-271 belong to the hypervisor: -EINVAL.
 *   do_mmu_update           ptr in a frame that is not ours -EINVAL; a page
 *                           of no table type is written plainly; a
 *                           descriptor page is refused; unknown command
 *                           -ENOSYS; MMU_MACHPHYS_UPDATE of a frame not ours
 *                           -EINVAL; *pdone counts what was done; a pending
 *                           event preempts a batch (continuation).
 *   do_mmuext_op            (un)pin, base pointers, flushes, LDT,
 *                           COPY/CLEAR_PAGE (destination must be able to take
 *                           the writable type).
 *   __do_update_va_mapping  the VA's L1 must be an L1 of ours, UVMF flags.
 *   pv/ro-page-fault.c      writes to a read-only mapping of an own L1 are
 *                           emulated (validated); a refused one is the #PF.
 *   MMUEXT_SET_LDT          an LDT is mapped on first use (descriptor-page
 *                           type); with none, an LDT selector is #GP(sel).
 * Answers that depend on Xen's dom0 I/O rights (cache attributes in L1
 * entries) are checked under their own names per platform (meta).
 * PV only; natively the test skips.
 */
#include "guest.h"

const char test_title[] = "mmu_isolation: PV MMU isolation rules and their error codes";

#define RW   (PTE_P | PTE_W | PTE_A | PTE_D)
#define RO   (PTE_P | PTE_A)
#define TBL  (PTE_P | PTE_W | PTE_U | PTE_A)        /* an intermediate entry */
#define TBLRO (PTE_P | PTE_U | PTE_A)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PAT (1ULL << 7)
#define PTE_G   (1ULL << 8)
#define PTE_BIT62 (1ULL << 62)
#define GUEST_KERNEL_BIT (1ULL << 52)           /* Xen's _PAGE_GUEST_KERNEL */
#define XEN_SLOTS_VA 0xffff800000000000ULL      /* L4 slot 256 */
/* The count flag of a continued mmu_update/mmuext_op (Xen's asm/mm.h; not in
 * the public headers): *pdone then holds what earlier parts did. */
#define MMU_UPDATE_PREEMPTED (~(~0U >> 1))

static inline u64 pte(u64 mfn, u64 flags) { return (mfn << PAGE_SHIFT) | flags; }
static inline u64 va_of(const struct pt_sandbox *sb, unsigned idx) { return sb->base + idx * PAGE_SIZE; }

/* A flag_case answer that depends on I/O rights. */
#define IO_RIGHTS 1

static struct pt_sandbox sb1, sb2;
static bool io_rights;              /* Xen's dom0 has I/O memory rights; Tern's initial domain none */
static u64 foreign;                 /* a RAM frame that is not ours */
static bool on_tern;

/* Read 8 bytes at va; the fault vector, or -1. */
static int peek(u64 va, u64 *out)
{
    u64 v = 0;
    struct fault f = PROBE("mov (%1), %0", : "+r"(v) : "r"(va));
    *out = v;
    return f.vector;
}

static struct fault poke(u64 va, u64 val)
{
    return PROBE("movq %1, (%0)", :: "r"(va), "r"(val) : "memory");
}

/* A data page of ours: its bootstrap VA and its frame. */
static u64 *data_page(u64 *mfn)
{
    u64 *p = alloc_page();
    if (!p)
        guest_panic("out of pages");
    *mfn = virt_to_mfn(p);
    return p;
}

static void setup(void)
{
    long rc = pt_sandbox_create(&sb1, 1);
    if (!CHECK_EQ("setup.sandbox_l4_slot1", rc, 0))
        guest_panic("no sandbox: %ld", rc);
    rc = pt_sandbox_create(&sb2, 2);
    if (!CHECK_EQ("setup.sandbox_l4_slot2", rc, 0))
        guest_panic("no sandbox: %ld", rc);
    foreign = pt_foreign_frame(true);
    if (!check(foreign != 0, "setup.foreign_frame_found", "mfn %#lx (max_ram_page %ld)", foreign,
               HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL)))
        guest_panic("no foreign frame");
}

/* ---- mappings show the frame they name ---- */
static void mappings(void)
{
    u64 mfn, *d = data_page(&mfn);
    u64 va = va_of(&sb1, 0);
    CHECK_EQ("map.data_rw", pt_sandbox_map(&sb1, 0, pte(mfn, RW)), 0);
    d[5] = 0x1122334455667788ULL;
    u64 v;
    int vec = peek(va + 40, &v);
    check(vec == -1 && v == 0x1122334455667788ULL, "map.read_through_new_mapping",
          "fault %d value %#lx", vec, v);
    struct fault f = poke(va + 48, 0xa5a5a5a5a5a5a5a5ULL);
    check(f.vector == -1 && d[6] == 0xa5a5a5a5a5a5a5a5ULL, "map.write_through_new_mapping",
          "fault %d, bootstrap view %#lx", f.vector, d[6]);

    /* What Xen stores (adjust_guest_l1e): a kernel entry (no U) gains U and
     * _PAGE_GUEST_KERNEL (bit 52); a user entry gains G. */
    u64 e = sb1.l1[0];
    check((e & PTE_ADDR_MASK) == (mfn << PAGE_SHIFT), "map.entry_frame", "entry %#lx", e);
    check(e & PTE_U, "map.kernel_entry_user_bit_forced", "entry %#lx", e);
    check(e & GUEST_KERNEL_BIT, "map.kernel_entry_guest_kernel_bit", "entry %#lx", e);
    CHECK_EQ("map.user_entry", pt_sandbox_map(&sb1, 0, pte(mfn, RW | PTE_U)), 0);
    e = sb1.l1[0];
    check((e & PTE_G) && !(e & GUEST_KERNEL_BIT), "map.user_entry_global_forced", "entry %#lx", e);
    check(sb1.l2[0] & PTE_U, "map.l2_entry_user_bit", "entry %#lx", sb1.l2[0]);
    check(pt_l4()[1] & PTE_U, "map.l4_entry_user_bit", "entry %#lx", pt_l4()[1]);

    /* Read-only: a write faults with P|W (kernel mode: no U in the error
     * code).  mmu_update of an L1 entry flushes nothing: the guest does. */
    CHECK_EQ("map.data_ro", pt_sandbox_map(&sb1, 0, pte(mfn, RO)), 0);
    pt_ext(MMUEXT_INVLPG_LOCAL, va);
    f = poke(va, 1);
    check(f.vector == 14 && f.error_code == 3 && f.cr2 == va, "map.ro_write_faults",
          "vector %d error code %#x cr2 %#lx", f.vector, f.error_code, f.cr2);
    /* Not present: a read faults with error code 0. */
    CHECK_EQ("map.clear", pt_sandbox_map(&sb1, 0, 0), 0);
    pt_ext(MMUEXT_INVLPG_LOCAL, va);
    vec = peek(va, &v);
    check(vec == 14 && last_fault.error_code == 0, "map.cleared_read_faults",
          "vector %d error code %#x", vec, last_fault.error_code);
    free_page(d);
}

/* ---- frames the guest does not own ---- */
static void foreign_frames(void)
{
    u64 va = va_of(&sb1, 1);
    CHECK_EQ("foreign.map_ro", HYPERVISOR_update_va_mapping(va, pte(foreign, RO), UVMF_INVLPG),
             -XEN_EBUSY);
    CHECK_EQ("foreign.map_rw", HYPERVISOR_update_va_mapping(va, pte(foreign, RW), UVMF_INVLPG),
             -XEN_EBUSY);
    CHECK_EQ("foreign.mmu_update_l1_entry", pt_sandbox_map(&sb1, 1, pte(foreign, RO)), -XEN_EBUSY);
    u64 low = pt_foreign_frame(false);
    CHECK_EQ("foreign.map_lowest_not_ours", pt_sandbox_map(&sb1, 1, pte(low, RO)), -XEN_EBUSY);
    CHECK_EQ("foreign.entry_unchanged", sb1.l1[1], 0);
    CHECK_EQ("foreign.ptr_in_foreign_frame", pt_update(foreign << PAGE_SHIFT, 0), -XEN_EINVAL);
    CHECK_EQ("foreign.pin_l1", pt_ext(MMUEXT_PIN_L1_TABLE, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.pin_l4", pt_ext(MMUEXT_PIN_L4_TABLE, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.unpin", pt_ext(MMUEXT_UNPIN_TABLE, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.as_l1_table", pt_update(pt_maddr(sb1.l2, 1), pte(foreign, TBL)), -XEN_EINVAL);
    CHECK_EQ("foreign.as_l2_table", pt_update(pt_maddr(sb1.l3, 1), pte(foreign, TBL)), -XEN_EINVAL);
    CHECK_EQ("foreign.as_l3_table", pt_update(pt_maddr(pt_l4(), 3), pte(foreign, TBL)), -XEN_EINVAL);
    CHECK_EQ("foreign.new_baseptr", pt_ext(MMUEXT_NEW_BASEPTR, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.new_user_baseptr", pt_ext(MMUEXT_NEW_USER_BASEPTR, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.machphys_update", pt_update((foreign << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, 5),
             -XEN_EINVAL);
    u64 mfn, *d = data_page(&mfn);
    CHECK_EQ("foreign.copy_page_to", pt_ext2(MMUEXT_COPY_PAGE, foreign, mfn), -XEN_EINVAL);
    CHECK_EQ("foreign.copy_page_from", pt_ext2(MMUEXT_COPY_PAGE, mfn, foreign), -XEN_EINVAL);
    CHECK_EQ("foreign.clear_page", pt_ext(MMUEXT_CLEAR_PAGE, foreign), -XEN_EINVAL);
    free_page(d);

    /* An address above what the machine can address: not RAM, and no I/O
     * rights cover it (-EPERM), whatever the privilege. */
    CHECK_EQ("foreign.beyond_physical_address_space",
             pt_sandbox_map(&sb1, 1, (1ULL << 51) | RO), -XEN_EPERM);
    CHECK_EQ("foreign.none_left_mapped", sb1.l1[1], 0);
}

/* ---- shared_info: a Xen page the guest may map writable ---- */
static void shared_info_page(void)
{
    u64 si = start_info->shared_info >> PAGE_SHIFT;
    u64 va = va_of(&sb1, 2);
    CHECK_EQ("shared_info.map_rw", pt_sandbox_map(&sb1, 2, pte(si, RW)), 0);
    volatile u64 *alias = (volatile u64 *)(va + offsetof(shared_info_t, evtchn_mask[63]));
    u64 old = shared_info->evtchn_mask[63];
    *alias = 0x5a5a000000000000ULL;
    u64 seen = shared_info->evtchn_mask[63];
    shared_info->evtchn_mask[63] = old;
    check(seen == 0x5a5a000000000000ULL, "shared_info.same_page_both_mappings",
          "write through the new mapping, read %#lx through the first", seen);
    /* A cache attribute on a Xen heap page: -EACCES, after the flag check,
     * which lets a domain with I/O rights (Xen's dom0) use PWT/PCD/PAT.
     * Tern's initial domain has no I/O rights: the flag check refuses it,
     * as Xen refuses an unprivileged guest (-EINVAL). */
    if (io_rights)
        CHECK_EQ("shared_info.map_uncached", pt_sandbox_map(&sb1, 2, pte(si, RW | PTE_PCD)), -XEN_EACCES);
    else
        CHECK_EQ("shared_info.map_uncached_without_io_rights",
                 pt_sandbox_map(&sb1, 2, pte(si, RW | PTE_PCD)), -XEN_EINVAL);
    CHECK_EQ("shared_info.unmap", pt_sandbox_map(&sb1, 2, 0), 0);
}

/* ---- the guest's own page-table pages can never be mapped writable ---- */
static void own_tables(void)
{
    u64 va = va_of(&sb1, 3);
    CHECK_EQ("pt_rw.l1", pt_sandbox_map(&sb1, 3, pte(sb1.l1_mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("pt_rw.l2", pt_sandbox_map(&sb1, 3, pte(sb1.l2_mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("pt_rw.l3", pt_sandbox_map(&sb1, 3, pte(sb1.l3_mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("pt_rw.l4_in_cr3", pt_sandbox_map(&sb1, 3, pte(pt_l4_mfn(), RW)), -XEN_EBUSY);
    CHECK_EQ("pt_rw.l4_by_update_va_mapping",
             HYPERVISOR_update_va_mapping(va, pte(pt_l4_mfn(), RW), UVMF_INVLPG), -XEN_EBUSY);
    CHECK_EQ("pt_rw.bootstrap_alias_of_l1",
             HYPERVISOR_update_va_mapping((u64)sb1.l1, pte(sb1.l1_mfn, RW), UVMF_INVLPG), -XEN_EBUSY);
    /* Read-only is fine, and shows the table. */
    CHECK_EQ("pt_ro.l1", pt_sandbox_map(&sb1, 3, pte(sb1.l1_mfn, RO)), 0);
    u64 v;
    int vec = peek(va + 3 * 8, &v);
    check(vec == -1 && v == sb1.l1[3], "pt_ro.l1_shows_itself", "fault %d entry 3 %#lx", vec, v);
    CHECK_EQ("pt_ro.l4", pt_sandbox_map(&sb1, 4, pte(pt_l4_mfn(), RO)), 0);
    vec = peek(va_of(&sb1, 4) + 8, &v);
    check(vec == -1 && v == pt_l4()[1], "pt_ro.l4_shows_itself", "fault %d slot 1 %#lx", vec, v);
    CHECK_EQ("pt_ro.unmap_l4_view", pt_sandbox_map(&sb1, 4, 0), 0);

    /* A write through the read-only view of an L1 is emulated and validated
     * (ptwr): a good entry is written, a bad one is the guest's #PF. */
    u64 mfn, *d = data_page(&mfn);
    struct fault f = poke(va + 10 * 8, pte(mfn, RW));
    check(f.vector == -1 && (sb1.l1[10] & PTE_ADDR_MASK) == (mfn << PAGE_SHIFT),
          "ptwr.valid_entry_emulated", "fault %d entry %#lx", f.vector, sb1.l1[10]);
    /* The other forms Linux writes live entries with, each emulated with
     * its result checked: ptep_set_wrprotect's clear_bit of RW is a byte
     * `lock andb $0xfd`, set_bit a `lock orb`; then and/or with a register,
     * btr/bts with an immediate, xchg and cmpxchg. */
    {
        u64 *e10 = (u64 *)(va + 10 * 8), rw = sb1.l1[10], ro = rw & ~PTE_W;
        f = PROBE("lock andb $0xfd, (%0)", :: "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == ro, "ptwr.andb_imm8", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
        f = PROBE("lock orb $0x02, (%0)", :: "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == rw, "ptwr.orb_imm8", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
        u64 mask = ~PTE_W;
        f = PROBE("lock andq %1, (%0)", :: "r"(e10), "r"(mask) : "memory");
        check(f.vector == -1 && sb1.l1[10] == ro, "ptwr.andq_reg", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
        f = PROBE("lock btsq $1, (%0)", :: "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == rw, "ptwr.btsq_imm", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
        f = PROBE("lock btrq $1, (%0)", :: "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == ro, "ptwr.btrq_imm", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
        u64 x = rw;
        f = PROBE("xchgq %0, (%1)", : "+r"(x) : "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == rw && x == ro, "ptwr.xchgq", "fault %d entry %#lx old %#lx",
              f.vector, sb1.l1[10], x);
        u64 expect = ro, nw = ro;               /* a failed compare: rax gets the entry */
        f = PROBE("lock cmpxchgq %2, (%1)", : "+a"(expect) : "r"(e10), "r"(nw) : "memory");
        check(f.vector == -1 && sb1.l1[10] == rw && expect == rw, "ptwr.cmpxchg_fails",
              "fault %d entry %#lx rax %#lx", f.vector, sb1.l1[10], expect);
        f = PROBE("lock cmpxchgq %2, (%1)", : "+a"(expect) : "r"(e10), "r"(nw) : "memory");
        check(f.vector == -1 && sb1.l1[10] == ro, "ptwr.cmpxchg_succeeds", "fault %d entry %#lx",
              f.vector, sb1.l1[10]);
        f = PROBE("lock orb $0x02, (%0)", :: "r"(e10) : "memory");
        check(f.vector == -1 && sb1.l1[10] == rw, "ptwr.back_to_rw", "fault %d entry %#lx", f.vector,
              sb1.l1[10]);
    }
    u64 *alias = (u64 *)va_of(&sb1, 10);
    d[0] = 0xfeedULL;
    vec = peek((u64)alias, &v);
    check(vec == -1 && v == 0xfeed, "ptwr.emulated_entry_maps", "fault %d value %#lx", vec, v);
    f = poke(va + 10 * 8, pte(sb1.l1_mfn, RW));
    check(f.vector == 14 && f.error_code == 3, "ptwr.rw_table_entry_faults",
          "vector %d error code %#x", f.vector, f.error_code);
    f = poke(va + 11 * 8, pte(foreign, RO));
    check(f.vector == 14 && f.error_code == 3 && sb1.l1[11] == 0, "ptwr.foreign_entry_faults",
          "vector %d error code %#x entry %#lx", f.vector, f.error_code, sb1.l1[11]);
    f = poke(va + 10 * 8, 0);
    check(f.vector == -1 && sb1.l1[10] == 0, "ptwr.clear_entry_emulated", "fault %d entry %#lx",
          f.vector, sb1.l1[10]);
    /* The L4's read-only view is not an L1: no emulation, a plain #PF. */
    CHECK_EQ("pt_ro.l4_again", pt_sandbox_map(&sb1, 4, pte(pt_l4_mfn(), RO)), 0);
    f = poke(va_of(&sb1, 4) + 3 * 8, 0);
    check(f.vector == 14 && f.error_code == 3, "ptwr.l4_write_not_emulated",
          "vector %d error code %#x", f.vector, f.error_code);
    CHECK_EQ("pt_ro.unmap", pt_sandbox_map(&sb1, 3, 0) | pt_sandbox_map(&sb1, 4, 0), 0);
    free_page(d);
}

/* ---- descriptor (GDT) pages ---- */
static void gdt_pages(void)
{
    u64 mfn, *g = data_page(&mfn);
    g[1] = 0x00cff2000000ffffULL;
    CHECK_EQ("gdt.remap_ro", pt_remap(g, PTE_A), 0);
    xen_pfn_t frame = mfn;
    CHECK_EQ("gdt.set_gdt", HYPERVISOR_set_gdt(&frame, 16), 0);
    CHECK_EQ("gdt.map_rw_refused", pt_sandbox_map(&sb1, 5, pte(mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("gdt.remap_own_alias_rw_refused", pt_remap(g, PTE_W | PTE_A | PTE_D), -XEN_EBUSY);
    CHECK_EQ("gdt.map_ro_ok", pt_sandbox_map(&sb1, 5, pte(mfn, RO)), 0);
    CHECK_EQ("gdt.mmu_update_write_refused", pt_update(pt_maddr(g, 2), 0x00cff2000000ffffULL),
             -XEN_EINVAL);
    CHECK_EQ("gdt.pin_as_l1_refused", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("gdt.clear_page_refused", pt_ext(MMUEXT_CLEAR_PAGE, mfn), -XEN_EINVAL);
    /* Dropping the GDT drops the type: writable again. */
    CHECK_EQ("gdt.set_empty", HYPERVISOR_set_gdt(NULL, 0), 0);
    CHECK_EQ("gdt.released_rw_ok", pt_sandbox_map(&sb1, 5, pte(mfn, RW)), 0);
    CHECK_EQ("gdt.unmap", pt_sandbox_map(&sb1, 5, 0), 0);
    CHECK_EQ("gdt.alias_rw_again", pt_remap(g, PTE_W | PTE_A | PTE_D), 0);
    free_page(g);
}

/* ---- pinning ---- */
static void pinning(void)
{
    u64 mfn, *p = data_page(&mfn);
    CHECK_EQ("pin.writable_mapped_page", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("pin.remap_ro", pt_remap(p, PTE_A), 0);
    /* Another writable mapping elsewhere still blocks it. */
    CHECK_EQ("pin.other_rw_alias", pt_sandbox_map(&sb1, 6, pte(mfn, RW)), 0);
    CHECK_EQ("pin.blocked_by_other_rw_mapping", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("pin.drop_alias", pt_sandbox_map(&sb1, 6, 0), 0);
    CHECK_EQ("pin.l1", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), 0);
    CHECK_EQ("pin.double", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("pin.wrong_level_l2", pt_ext(MMUEXT_PIN_L2_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("pin.wrong_level_l4", pt_ext(MMUEXT_PIN_L4_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("pin.pinned_map_rw_refused", pt_sandbox_map(&sb1, 6, pte(mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("pin.pinned_map_ro_ok", pt_sandbox_map(&sb1, 6, pte(mfn, RO)), 0);
    CHECK_EQ("pin.unmap_ro", pt_sandbox_map(&sb1, 6, 0), 0);
    /* A pinned L1 is an L1: mmu_update validates entries written into it. */
    u64 dmfn, *d = data_page(&dmfn);
    CHECK_EQ("pin.l1_entry_update", pt_update(pt_maddr(p, 7), pte(dmfn, RW)), 0);
    CHECK_EQ("pin.l1_entry_rw_self_refused", pt_update(pt_maddr(p, 8), pte(mfn, RW)), -XEN_EBUSY);
    CHECK_EQ("pin.l1_entry_clear", pt_update(pt_maddr(p, 7), 0), 0);
    CHECK_EQ("unpin.l1", pt_ext(MMUEXT_UNPIN_TABLE, mfn), 0);
    CHECK_EQ("unpin.not_pinned", pt_ext(MMUEXT_UNPIN_TABLE, mfn), -XEN_EINVAL);
    CHECK_EQ("unpin.data_page", pt_ext(MMUEXT_UNPIN_TABLE, dmfn), -XEN_EINVAL);
    CHECK_EQ("unpin.then_rw_ok", pt_sandbox_map(&sb1, 6, pte(mfn, RW)), 0);
    CHECK_EQ("unpin.drop_rw", pt_sandbox_map(&sb1, 6, 0), 0);

    /* Validation of what is pinned, entry by entry (p is read-only again,
     * filled through mmu_update: a page of no table type is written plainly). */
    CHECK_EQ("pin.plain_write_foreign_entry", pt_update(pt_maddr(p, 1), pte(foreign, RO)), 0);
    CHECK_EQ("pin.l1_with_foreign_entry", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EBUSY);
    pt_update(pt_maddr(p, 1), pte(sb1.l1_mfn, RW));
    CHECK_EQ("pin.l1_with_rw_table_entry", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EBUSY);
    pt_update(pt_maddr(p, 1), (1ULL << 51) | RO);
    CHECK_EQ("pin.l1_with_entry_beyond_ram", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), -XEN_EPERM);
    /* The same L1 validated on the way down from an L2 entry or an L2 pin:
     * the L1's error comes back unchanged. */
    CHECK_EQ("link.l1_with_entry_beyond_ram", pt_update(pt_maddr(sb1.l2, 6), pte(mfn, TBL)), -XEN_EPERM);
    pt_update(pt_maddr(p, 1), pte(foreign, RO));
    CHECK_EQ("link.l1_with_foreign_entry", pt_update(pt_maddr(sb1.l2, 6), pte(mfn, TBL)), -XEN_EBUSY);
    CHECK_EQ("link.refused_entry_unchanged", sb1.l2[6], 0);
    u64 l2mfn, *l2 = data_page(&l2mfn);
    l2[0] = pte(mfn, TBL);
    pt_remap(l2, PTE_A);
    CHECK_EQ("pin.l2_whose_l1_has_foreign_entry", pt_ext(MMUEXT_PIN_L2_TABLE, l2mfn), -XEN_EBUSY);
    pt_update(pt_maddr(l2, 0), 0);
    pt_remap(l2, PTE_W | PTE_A | PTE_D);
    free_page(l2);
    pt_update(pt_maddr(p, 1), pte(sb1.l1_mfn, RO));
    CHECK_EQ("pin.l1_with_ro_table_entry", pt_ext(MMUEXT_PIN_L1_TABLE, mfn), 0);
    CHECK_EQ("pin.unpin_again", pt_ext(MMUEXT_UNPIN_TABLE, mfn), 0);
    pt_update(pt_maddr(p, 1), 0);
    /* As an L2: a PSE entry, or an entry naming a data page mapped writable. */
    pt_update(pt_maddr(p, 0), pte(dmfn, TBL | PTE_PS));
    CHECK_EQ("pin.l2_with_pse_entry", pt_ext(MMUEXT_PIN_L2_TABLE, mfn), -XEN_EINVAL);
    pt_update(pt_maddr(p, 0), pte(dmfn, TBL));
    CHECK_EQ("pin.l2_with_writable_page_as_l1", pt_ext(MMUEXT_PIN_L2_TABLE, mfn), -XEN_EINVAL);
    /* As an L3 whose entry names a pinned L1 (wrong level). */
    pt_update(pt_maddr(p, 0), pte(sb1.l1_mfn, TBL));
    CHECK_EQ("pin.l3_with_l1_as_l2", pt_ext(MMUEXT_PIN_L3_TABLE, mfn), -XEN_EINVAL);
    pt_update(pt_maddr(p, 0), 0);
    /* As an L4 with junk in the hypervisor's slots: ignored, then overwritten. */
    pt_update(pt_maddr(p, 260), 0x123000 | TBL);
    pt_update(pt_maddr(p, 1), pte(sb1.l3_mfn, TBL));
    CHECK_EQ("pin.l4_with_junk_in_xen_slots", pt_ext(MMUEXT_PIN_L4_TABLE, mfn), 0);
    check(p[260] != (0x123000 | TBL), "pin.l4_xen_slots_overwritten", "slot 260 %#lx", p[260]);
    CHECK_EQ("pin.l4_mmu_update_xen_slot", pt_update(pt_maddr(p, 260), 0), -XEN_EINVAL);
    CHECK_EQ("pin.l4_unpin", pt_ext(MMUEXT_UNPIN_TABLE, mfn), 0);
    pt_update(pt_maddr(p, 1), 0);
    for (unsigned s = 256; s < 272; s++)
        pt_update(pt_maddr(p, s), 0);
    CHECK_EQ("pin.page_writable_at_end", pt_remap(p, PTE_W | PTE_A | PTE_D), 0);
    free_page(p);
    free_page(d);
}

/* ---- the hypervisor's L4 slots ---- */
static void xen_slots(void)
{
    u64 l4 = pt_l4_mfn();
    u64 ro = pte(sb1.l3_mfn, TBLRO);
    CHECK_EQ("l4.slot256_refused", pt_update(pt_maddr(pt_l4(), 256), 0), -XEN_EINVAL);
    CHECK_EQ("l4.slot256_present_refused", pt_update(pt_maddr(pt_l4(), 256), ro), -XEN_EINVAL);
    CHECK_EQ("l4.slot263_refused", pt_update(pt_maddr(pt_l4(), 263), ro), -XEN_EINVAL);
    CHECK_EQ("l4.slot271_refused", pt_update(pt_maddr(pt_l4(), 271), 0), -XEN_EINVAL);
    CHECK_EQ("l4.slot255_ok", pt_update(pt_maddr(pt_l4(), 255), 0), 0);
    CHECK_EQ("l4.slot272_ok", pt_update(pt_maddr(pt_l4(), 272), 0), 0);
    /* The hypervisor's range is not mapped for the guest kernel. */
    /* Both hypervisors' images start at 0xffff82d040000000 (slot 261):
     * supervisor pages, out of the guest kernel's reach. */
    u64 v;
    int vec = peek(0xffff82d040000000ULL, &v);
    check(vec == 14, "l4.hypervisor_image_not_readable", "fault %d error code %#x", vec,
          last_fault.error_code);
    (void)l4;
}

/* ---- the table in CR3 ---- */
static void cr3_table(void)
{
    u64 l4 = pt_l4_mfn();
    CHECK_EQ("cr3.unpin", pt_ext(MMUEXT_UNPIN_TABLE, l4), 0);
    CHECK_EQ("cr3.unpin_again", pt_ext(MMUEXT_UNPIN_TABLE, l4), -XEN_EINVAL);
    /* Still in use as CR3: still an L4, never writable. */
    CHECK_EQ("cr3.still_not_writable", pt_sandbox_map(&sb1, 7, pte(l4, RW)), -XEN_EBUSY);
    CHECK_EQ("cr3.mmu_update_still_validated", pt_update(pt_maddr(pt_l4(), 257), 0), -XEN_EINVAL);
    CHECK_EQ("cr3.repin", pt_ext(MMUEXT_PIN_L4_TABLE, l4), 0);
    CHECK_EQ("cr3.pin_twice", pt_ext(MMUEXT_PIN_L4_TABLE, l4), -XEN_EINVAL);
    CHECK_EQ("cr3.new_baseptr_same", pt_ext(MMUEXT_NEW_BASEPTR, l4), 0);

    /* NEW_BASEPTR needs an L4. */
    u64 dmfn, *d = data_page(&dmfn);
    CHECK_EQ("baseptr.writable_page", pt_ext(MMUEXT_NEW_BASEPTR, dmfn), -XEN_EINVAL);
    CHECK_EQ("baseptr.l1_page", pt_ext(MMUEXT_NEW_BASEPTR, sb1.l1_mfn), -XEN_EINVAL);
    CHECK_EQ("baseptr.l3_page", pt_ext(MMUEXT_NEW_BASEPTR, sb1.l3_mfn), -XEN_EINVAL);
    CHECK_EQ("baseptr.user_l1_page", pt_ext(MMUEXT_NEW_USER_BASEPTR, sb1.l1_mfn), -XEN_EINVAL);
    /* A second L4 (slot 0 and our sandboxes), switched to and back. */
    u64 nmfn, *n = data_page(&nmfn);
    n[0] = pt_l4()[0];
    n[1] = pt_l4()[1];
    CHECK_EQ("baseptr.new_l4_ro", pt_remap(n, PTE_A), 0);
    CHECK_EQ("baseptr.switch", pt_ext(MMUEXT_NEW_BASEPTR, nmfn), 0);
    check((read_cr3() >> PAGE_SHIFT) == nmfn, "baseptr.cr3_reads_new", "cr3 %#lx, new L4 %#lx",
          read_cr3(), nmfn);
    u64 v;
    d[0] = 0x77;
    int vec = peek((u64)d, &v);
    check(vec == -1 && v == 0x77, "baseptr.image_still_mapped", "fault %d value %#lx", vec, v);
    /* In use as CR3: not writable, and the old one is no longer in CR3 but pinned. */
    CHECK_EQ("baseptr.new_not_writable", pt_sandbox_map(&sb1, 7, pte(nmfn, RW)), -XEN_EBUSY);
    CHECK_EQ("baseptr.switch_back", pt_ext(MMUEXT_NEW_BASEPTR, l4), 0);
    check((read_cr3() >> PAGE_SHIFT) == l4, "baseptr.cr3_reads_old", "cr3 %#lx", read_cr3());
    /* Unused and unpinned now: the type is gone, writable again. */
    CHECK_EQ("baseptr.old_new_l4_writable", pt_remap(n, PTE_W | PTE_A | PTE_D), 0);
    free_page(n);
    free_page(d);
    CHECK_EQ("baseptr.user_zero", pt_ext(MMUEXT_NEW_USER_BASEPTR, 0), 0);
}

/* ---- recursive ("linear") page tables ---- */
static u64 linear_va(unsigned i4, unsigned i3, unsigned i2, unsigned i1)
{
    u64 va = ((u64)i4 << 39) | ((u64)i3 << 30) | ((u64)i2 << 21) | ((u64)i1 << 12);
    if (i4 >= 256)
        va |= 0xffff000000000000ULL;
    return va;
}

static void linear(void)
{
    u64 l4 = pt_l4_mfn();
    u64 slot = pt_maddr(pt_l4(), 5);
    /* An L4 pointing at itself: read-only allowed, writable refused. */
    CHECK_EQ("linear.l4_self_rw_refused", pt_update(slot, pte(l4, TBL)), -XEN_EINVAL);
    CHECK_EQ("linear.l4_self_ro", pt_update(slot, pte(l4, TBLRO)), 0);
    u64 v;
    int vec = peek(linear_va(5, 5, 5, 5) + 5 * 8, &v);
    check(vec == -1 && (v & PTE_ADDR_MASK) == (l4 << PAGE_SHIFT), "linear.l4_self_reads_itself",
          "fault %d slot 5 through itself %#lx", vec, v);
    vec = peek(linear_va(5, 5, 5, 1) + 0 * 8, &v);
    check(vec == -1 && v == sb1.l3[0], "linear.l4_self_reads_l3", "fault %d %#lx (sandbox L3[0] %#lx)",
          vec, v, sb1.l3[0]);
    struct fault f = poke(linear_va(5, 5, 5, 5) + 6 * 8, 0);
    check(f.vector == 14 && f.error_code == 3, "linear.l4_self_write_faults",
          "vector %d error code %#x", f.vector, f.error_code);
    CHECK_EQ("linear.l4_self_remove", pt_update(slot, 0), 0);
    /* An L4 pointing at another, validated L4 (read-only). */
    u64 nmfn, *n = data_page(&nmfn);
    n[1] = pt_l4()[1];
    pt_remap(n, PTE_A);
    CHECK_EQ("linear.other_l4_pin", pt_ext(MMUEXT_PIN_L4_TABLE, nmfn), 0);
    CHECK_EQ("linear.l4_other_rw_refused", pt_update(slot, pte(nmfn, TBL)), -XEN_EINVAL);
    CHECK_EQ("linear.l4_other_ro", pt_update(slot, pte(nmfn, TBLRO)), 0);
    /* (5, 1, 0, 0): L4[5] = n as an L3, n[1] = sb1.l3 as an L2, sb1.l3[0] =
     * sb1.l2 as an L1, sb1.l2[0] = sb1.l1's frame: its entry 50. */
    u64 dmfn, *d = data_page(&dmfn);
    pt_sandbox_map(&sb1, 50, pte(dmfn, RO));
    vec = peek(linear_va(5, 1, 0, 0) + 50 * 8, &v);
    check(vec == -1 && v == sb1.l1[50] && v, "linear.l4_other_reads_through", "fault %d %#lx", vec, v);
    pt_sandbox_map(&sb1, 50, 0);
    free_page(d);
    CHECK_EQ("linear.l4_other_remove", pt_update(slot, 0), 0);
    CHECK_EQ("linear.other_l4_unpin", pt_ext(MMUEXT_UNPIN_TABLE, nmfn), 0);
    pt_remap(n, PTE_W | PTE_A | PTE_D);
    free_page(n);

    /* L2 level, in the sandboxes: sb1.l2 slot 2 -> sb1.l2 itself. */
    u64 s12 = pt_maddr(sb1.l2, 2);
    CHECK_EQ("linear.l2_self_rw_refused", pt_update(s12, pte(sb1.l2_mfn, TBL)), -XEN_EINVAL);
    CHECK_EQ("linear.l2_self_ro", pt_update(s12, pte(sb1.l2_mfn, TBLRO)), 0);
    /* VA slot 2 of the L2, then entry 0 of "the L1" (the L2) = sb1.l1's frame. */
    vec = peek(sb1.base + 2 * MiB(2) + 0 * PAGE_SIZE + 0, &v);
    check(vec == -1 && v == sb1.l1[0], "linear.l2_self_reads_l1", "fault %d %#lx (l1[0] %#lx)",
          vec, v, sb1.l1[0]);
    /* update_va_mapping on a VA whose "L1" is an L2: not an L1, refused. */
    CHECK_EQ("linear.uvm_through_l2_refused",
             HYPERVISOR_update_va_mapping(sb1.base + 2 * MiB(2), 0, UVMF_INVLPG), -XEN_EINVAL);
    /* sb2.l2 slot 2 -> sb1.l2 (another, validated L2). */
    u64 s22 = pt_maddr(sb2.l2, 2);
    CHECK_EQ("linear.l2_other_rw_refused", pt_update(s22, pte(sb1.l2_mfn, TBL)), -XEN_EINVAL);
    /* sb1.l2 already holds a linear entry (to itself, which is not counted). */
    CHECK_EQ("linear.l2_other_ro", pt_update(s22, pte(sb1.l2_mfn, TBLRO)), 0);
    vec = peek(sb2.base + 2 * MiB(2), &v);
    check(vec == -1 && v == sb1.l1[0], "linear.l2_other_reads_l1", "fault %d %#lx", vec, v);
    /* No chains: sb1.l2 is now a linear target, so it cannot hold a linear
     * entry to another table; sb2.l2 holds one, so nothing may point at it. */
    CHECK_EQ("linear.chain_target_has_linear_entries",
             pt_update(pt_maddr(sb1.l2, 3), pte(sb2.l2_mfn, TBLRO)), -XEN_EINVAL);
    CHECK_EQ("linear.remove_l2_entries", pt_update(s22, 0) | pt_update(s12, 0), 0);
    /* Cross-level: an L2 entry naming an L3, an L3 entry naming an L1, an L4
     * entry naming an L2: all refused. */
    CHECK_EQ("linear.l2_entry_names_l3", pt_update(pt_maddr(sb1.l2, 4), pte(sb1.l3_mfn, TBLRO)),
             -XEN_EINVAL);
    CHECK_EQ("linear.l3_entry_names_l1", pt_update(pt_maddr(sb1.l3, 4), pte(sb1.l1_mfn, TBLRO)),
             -XEN_EINVAL);
    CHECK_EQ("linear.l4_entry_names_l2", pt_update(slot, pte(sb1.l2_mfn, TBLRO)), -XEN_EINVAL);
    /* L3 level: sb1.l3 slot 5 -> itself. */
    CHECK_EQ("linear.l3_self_rw_refused", pt_update(pt_maddr(sb1.l3, 5), pte(sb1.l3_mfn, TBL)),
             -XEN_EINVAL);
    CHECK_EQ("linear.l3_self_ro", pt_update(pt_maddr(sb1.l3, 5), pte(sb1.l3_mfn, TBLRO)), 0);
    vec = peek(sb1.base + 5 * (1ULL << 30) + 0 * MiB(2) + 0 * PAGE_SIZE, &v);
    check(vec == -1 && v == sb1.l1[0], "linear.l3_self_reads_l1", "fault %d %#lx", vec, v);
    CHECK_EQ("linear.l3_self_remove", pt_update(pt_maddr(sb1.l3, 5), 0), 0);
    /* Both sandboxes' tables are writable-refused still, and unchanged. */
    CHECK_EQ("linear.l2_still_not_writable", pt_sandbox_map(&sb1, 8, pte(sb1.l2_mfn, RW)),
             -XEN_EBUSY);
}

/* ---- flags at each level ---- */
struct flag_case { const char *name; unsigned level; u64 flags; long rc; };

static void flags(void)
{
    u64 dmfn, *d = data_page(&dmfn);
    /* Targets: a fresh L1 (for L2 entries), a fresh L2 (for L3 entries), a
     * fresh L3 (for L4 entries), each read-only and empty. */
    u64 t1, t2, t3;
    u64 *p1 = pt_alloc(&t1), *p2 = pt_alloc(&t2), *p3 = pt_alloc(&t3);
    static const struct flag_case cases[] = {
        /* L1: G, NX, the available bits (52-62) are the guest's; so is bit 62
         * in a release build (_PAGE_GNTTAB is 0 there).  PWT/PCD/PAT need
         * I/O rights: the hardware domain has them. */
        { "l1.global",          1, PTE_G,                0 },
        { "l1.nx",              1, PTE_NX,               0 },
        { "l1.bit62",           1, PTE_BIT62,            0 },
        { "l1.avail_9_11",      1, 0xe00,                0 },
        { "l1.avail_52_58",     1, 0x7fULL << 52,        0 },
        { "l1.pwt",             1, PTE_PWT,              IO_RIGHTS },
        { "l1.pcd",             1, PTE_PCD,              IO_RIGHTS },
        { "l1.pat",             1, PTE_PAT,              IO_RIGHTS },
        /* L2: no PSE, no cache bits, no G. */
        { "l2.pse",             2, PTE_PS,               -XEN_EINVAL },
        { "l2.pwt",             2, PTE_PWT,              -XEN_EINVAL },
        { "l2.pcd",             2, PTE_PCD,              -XEN_EINVAL },
        { "l2.global",          2, PTE_G,                -XEN_EINVAL },
        { "l2.nx",              2, PTE_NX,               0 },
        { "l2.bit62",           2, PTE_BIT62,            0 },
        { "l2.avail_9_11",      2, 0xe00,                0 },
        /* L3: no 1 GiB pages either. */
        { "l3.pse",             3, PTE_PS,               -XEN_EINVAL },
        { "l3.pcd",             3, PTE_PCD,              -XEN_EINVAL },
        { "l3.global",          3, PTE_G,                -XEN_EINVAL },
        { "l3.nx",              3, PTE_NX,               0 },
        { "l3.bit62",           3, PTE_BIT62,            0 },
        /* L4. */
        { "l4.pse",             4, PTE_PS,               -XEN_EINVAL },
        { "l4.pwt",             4, PTE_PWT,              -XEN_EINVAL },
        { "l4.global",          4, PTE_G,                -XEN_EINVAL },
        { "l4.nx",              4, PTE_NX,               0 },
        { "l4.bit62",           4, PTE_BIT62,            0 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct flag_case *c = &cases[i];
        u64 ptr, val, *where;
        unsigned idx;
        switch (c->level) {
        case 1: where = sb1.l1; idx = 20; val = pte(dmfn, RW | c->flags); break;
        case 2: where = sb1.l2; idx = 20; val = pte(t1, TBL | c->flags); break;
        case 3: where = sb1.l3; idx = 20; val = pte(t2, TBL | c->flags); break;
        default: where = pt_l4(); idx = 20; val = pte(t3, TBL | c->flags); break;
        }
        ptr = pt_maddr(where, idx);
        long want = c->rc;
        char name[64];
        snprintf(name, sizeof(name), "%s", c->name);
        if (want == IO_RIGHTS) {
            /* Cache attributes in an L1 need I/O rights (l1_disallow_mask):
             * Xen's dom0 has them; without them (Tern's initial domain, any
             * unprivileged guest) the entry is refused. */
            want = io_rights ? 0 : -XEN_EINVAL;
            if (!io_rights)
                snprintf(name, sizeof(name), "%s_without_io_rights", c->name);
        }
        long rc = pt_update(ptr, val);
        u64 stored = where[idx];
        bool ok = rc == want && (rc ? stored == 0 : (stored & c->flags) == c->flags);
        check(ok, name, "rc %ld (expected %ld), stored %#lx", rc, want, stored);
        if (pt_update(ptr, 0))
            guest_panic("cannot clear the entry of %s", c->name);
    }
    /* A data page mapped with the flags above is readable with its data. */
    CHECK_EQ("flags.nx_g_map", pt_sandbox_map(&sb1, 21, pte(dmfn, RW | PTE_NX | PTE_G | PTE_BIT62)), 0);
    d[0] = 0x4242;
    u64 v;
    int vec = peek(va_of(&sb1, 21), &v);
    check(vec == -1 && v == 0x4242, "flags.nx_g_bit62_mapping_works", "fault %d value %#lx", vec, v);
    pt_sandbox_map(&sb1, 21, 0);
    pt_release(p1);
    pt_release(p2);
    pt_release(p3);
    free_page(d);
}

/* ---- mmu_update itself ---- */
static unsigned pdone_seen;
static volatile unsigned *pdone_watch;
static void record_pdone(void)
{
    pdone_seen = *pdone_watch;
}

static void mmu_update_misc(void)
{
    u64 dmfn, *d = data_page(&dmfn);
    CHECK_EQ("mmu_update.plain_page_write", pt_update(pt_maddr(d, 1), 0x1234), 0);
    CHECK_EQ("mmu_update.plain_page_value", d[1], 0x1234);
    CHECK_EQ("mmu_update.unknown_cmd_4", pt_update(pt_maddr(d, 1) | 4, 1), -XEN_ENOSYS);
    /* Command 5 is not MMU_MACHPHYS_UPDATE (1) with a stray bit: the M2P
     * entry of the frame stays. */
    u64 dpfn = mfn_to_pfn(dmfn);
    CHECK_EQ("mmu_update.unknown_cmd_5", pt_update(pt_maddr(d, 1) | 5, 1), -XEN_ENOSYS);
    CHECK_EQ("mmu_update.unknown_cmd_5_m2p_unchanged", mfn_to_pfn(dmfn), dpfn);
    pt_update((dmfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, dpfn);
    CHECK_EQ("mmu_update.unknown_cmd_6", pt_update(pt_maddr(d, 1) | 6, 1), -XEN_ENOSYS);
    CHECK_EQ("mmu_update.unknown_cmd_7", pt_update(pt_maddr(d, 1) | 7, 1), -XEN_ENOSYS);
    CHECK_EQ("mmu_update.unknown_cmds_wrote_nothing", d[1], 0x1234);
    CHECK_EQ("mmu_update.no_translate", pt_update(pt_maddr(sb1.l1, 30) | MMU_PT_UPDATE_NO_TRANSLATE,
                                                  pte(dmfn, RW)), 0);
    CHECK_EQ("mmu_update.no_translate_stored", sb1.l1[30] & PTE_ADDR_MASK, dmfn << PAGE_SHIFT);
    /* PRESERVE_AD keeps the A/D bits already in the entry. */
    pt_update(pt_maddr(sb1.l1, 30), pte(dmfn, PTE_P | PTE_W | PTE_A | PTE_D));
    CHECK_EQ("mmu_update.preserve_ad", pt_update(pt_maddr(sb1.l1, 30) | MMU_PT_UPDATE_PRESERVE_AD,
                                                 pte(dmfn, PTE_P | PTE_W)), 0);
    check((sb1.l1[30] & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "mmu_update.preserve_ad_kept",
          "entry %#lx", sb1.l1[30]);
    CHECK_EQ("mmu_update.normal_clears_ad", pt_update(pt_maddr(sb1.l1, 30), pte(dmfn, PTE_P | PTE_W)), 0);
    check(!(sb1.l1[30] & PTE_D), "mmu_update.normal_ad_replaced", "entry %#lx", sb1.l1[30]);
    pt_update(pt_maddr(sb1.l1, 30), 0);

    /* MMU_MACHPHYS_UPDATE on our own frame changes the M2P. */
    u64 pfn = mfn_to_pfn(dmfn);
    CHECK_EQ("machphys.own_frame", pt_update((dmfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, 0x7777), 0);
    CHECK_EQ("machphys.m2p_changed", mfn_to_pfn(dmfn), 0x7777);
    CHECK_EQ("machphys.restore", pt_update((dmfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, pfn), 0);
    CHECK_EQ("machphys.m2p_restored", mfn_to_pfn(dmfn), pfn);

    /* Batches: the first error stops it; *pdone counts what was done. */
    struct mmu_update req[4] = {
        { pt_maddr(d, 10), 10 }, { pt_maddr(d, 11), 11 },
        { pt_maddr(sb1.l1, 31), pte(foreign, RO) }, { pt_maddr(d, 13), 13 },
    };
    unsigned done = 99;
    long rc = HYPERVISOR_mmu_update(req, 4, &done, DOMID_SELF);
    CHECK_EQ("batch.first_error_returned", rc, -XEN_EBUSY);
    CHECK_EQ("batch.pdone_counts_successes", done, 2);
    check(d[10] == 10 && d[11] == 11 && d[13] == 0, "batch.stops_at_error",
          "entries %lu %lu %lu", d[10], d[11], d[13]);
    /* A continuation (count | MMU_UPDATE_PREEMPTED) adds to *pdone. */
    done = 5;
    rc = HYPERVISOR_mmu_update(req, 2 | MMU_UPDATE_PREEMPTED, &done, DOMID_SELF);
    check(rc == 0 && done == 7, "batch.continuation_adds_to_pdone", "rc %ld done %u", rc, done);
    done = 99;
    CHECK_EQ("batch.count_zero", HYPERVISOR_mmu_update(req, 0, &done, DOMID_SELF), 0);
    CHECK_EQ("batch.count_zero_pdone", done, 0);
    CHECK_EQ("batch.null_requests", HYPERVISOR_mmu_update(NULL, 1, NULL, DOMID_SELF), -XEN_EFAULT);
    CHECK_EQ("batch.bad_foreigndom", HYPERVISOR_mmu_update(req, 1, NULL, 0x7fef), -XEN_ESRCH);

    /* A pending event preempts a long batch: the upcall arrives between two
     * parts of it, and the continuation completes it. */
    static struct mmu_update big[512];
    for (unsigned i = 0; i < 512; i++) {
        big[i].ptr = pt_maddr(d, i);
        big[i].val = 0x100000 + i;
    }
    done = 0;
    pdone_seen = ~0u;
    pdone_watch = &done;
    evtchn_upcall_hook = record_pdone;
    u64 before = upcalls;
    events_disable();
    WRITE_ONCE(vcpu0()->evtchn_upcall_pending, 1);
    WRITE_ONCE(vcpu0()->evtchn_upcall_mask, 0);
    BARRIER();
    rc = HYPERVISOR_mmu_update(big, 512, &done, DOMID_SELF);
    events_disable();
    evtchn_upcall_hook = NULL;
    bool all = true;
    for (unsigned i = 0; i < 512; i++)
        all &= d[i] == 0x100000 + i;
    check(rc == 0 && done == 512 && all, "preempt.batch_completes", "rc %ld done %u all written %d",
          rc, done, all);
    check(upcalls == before + 1 && pdone_seen > 0 && pdone_seen < 512, "preempt.upcall_inside_batch",
          "%lu upcalls, *pdone %u when it arrived", upcalls - before, pdone_seen);

    /* The same for mmuext_op. */
    static struct mmuext_op ops[512];
    for (unsigned i = 0; i < 512; i++) {
        ops[i].cmd = MMUEXT_INVLPG_LOCAL;
        ops[i].arg1.linear_addr = (u64)d;
    }
    done = 0;
    pdone_seen = ~0u;
    evtchn_upcall_hook = record_pdone;
    before = upcalls;
    WRITE_ONCE(vcpu0()->evtchn_upcall_pending, 1);
    WRITE_ONCE(vcpu0()->evtchn_upcall_mask, 0);
    BARRIER();
    rc = HYPERVISOR_mmuext_op(ops, 512, &done, DOMID_SELF);
    events_disable();
    evtchn_upcall_hook = NULL;
    check(rc == 0 && done == 512, "preempt.mmuext_batch_completes", "rc %ld done %u", rc, done);
    check(upcalls == before + 1 && pdone_seen > 0 && pdone_seen < 512,
          "preempt.mmuext_upcall_inside_batch", "%lu upcalls, *pdone %u when it arrived",
          upcalls - before, pdone_seen);
    memset(d, 0, PAGE_SIZE);
    free_page(d);
}

/* ---- update_va_mapping and its flags ---- */
struct uvm_case { const char *name; u64 flags; bool flushes; };

static void update_va_mapping_flags(void)
{
    u64 amfn, bmfn, *a = data_page(&amfn), *b = data_page(&bmfn);
    a[0] = 0xaaaa;
    b[0] = 0xbbbb;
    static unsigned long vcpumask = 1;
    const struct uvm_case cases[] = {
        { "uvm.none",               UVMF_NONE,                               false },
        { "uvm.tlb_flush_local",    UVMF_TLB_FLUSH | UVMF_LOCAL,             true },
        { "uvm.tlb_flush_all",      UVMF_TLB_FLUSH | UVMF_ALL,               true },
        { "uvm.tlb_flush_multi",    UVMF_TLB_FLUSH | (u64)&vcpumask,         true },
        { "uvm.invlpg_local",       UVMF_INVLPG | UVMF_LOCAL,                true },
        { "uvm.invlpg_all",         UVMF_INVLPG | UVMF_ALL,                  true },
        { "uvm.invlpg_multi",       UVMF_INVLPG | (u64)&vcpumask,            true },
        /* Flush type 3 is not a flush type: nothing flushed, no error. */
        { "uvm.flushtype_3",        UVMF_FLUSHTYPE_MASK,                     false },
        { "uvm.flushtype_0_junk",   UVMF_NONE | 0xdead000,                   false },
    };
    u64 va = va_of(&sb1, 40);
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct uvm_case *c = &cases[i];
        /* Map a, touch it (it may be cached in the TLB), then switch to b. */
        pt_sandbox_map(&sb1, 40, pte(amfn, RW));
        pt_ext(MMUEXT_INVLPG_LOCAL, va);
        u64 v;
        peek(va, &v);
        long rc = HYPERVISOR_update_va_mapping(va, pte(bmfn, RW), c->flags);
        bool written = (sb1.l1[40] & PTE_ADDR_MASK) == (bmfn << PAGE_SHIFT);
        int vec = peek(va, &v);
        if (c->flushes)
            check(rc == 0 && written && vec == -1 && v == 0xbbbb, c->name,
                  "rc %ld, entry written %d, reads %#lx right after", rc, written, v);
        else
            check(rc == 0 && written, c->name, "rc %ld, entry written %d", rc, written);
        pt_ext(MMUEXT_INVLPG_LOCAL, va);
    }
    /* A bad vcpumask pointer: -EFAULT, but the entry was already written. */
    pt_sandbox_map(&sb1, 40, 0);
    long rc = HYPERVISOR_update_va_mapping(va, pte(amfn, RW), UVMF_INVLPG | 0x10);
    CHECK_EQ("uvm.bad_vcpumask_efault", rc, -XEN_EFAULT);
    check((sb1.l1[40] & PTE_ADDR_MASK) == (amfn << PAGE_SHIFT), "uvm.bad_vcpumask_entry_written",
          "entry %#lx", sb1.l1[40]);
    pt_ext(MMUEXT_INVLPG_LOCAL, va);
    pt_sandbox_map(&sb1, 40, 0);
    /* VAs without an L1 of ours. */
    CHECK_EQ("uvm.no_l2_entry", HYPERVISOR_update_va_mapping(sb1.base + MiB(2) * 9, pte(amfn, RW),
                                                             UVMF_INVLPG), -XEN_EINVAL);
    CHECK_EQ("uvm.no_l4_entry", HYPERVISOR_update_va_mapping(9ULL << 39, pte(amfn, RW), UVMF_INVLPG),
             -XEN_EINVAL);
    CHECK_EQ("uvm.hypervisor_range", HYPERVISOR_update_va_mapping(XEN_SLOTS_VA + 0x10000000000ULL,
                                                                  0, UVMF_INVLPG), -XEN_EINVAL);
    CHECK_EQ("uvm.noncanonical", HYPERVISOR_update_va_mapping(0x0000900000000000ULL, 0, UVMF_INVLPG),
             -XEN_EINVAL);
    CHECK_EQ("uvm.clear_unmapped_ok", HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG), 0);
    free_page(a);
    free_page(b);
}

/* ---- the other mmuext_op commands ---- */
static void mmuext_misc(void)
{
    u64 amfn, bmfn, *a = data_page(&amfn), *b = data_page(&bmfn);
    for (unsigned i = 0; i < 512; i++)
        a[i] = 0xc0de0000 + i;
    CHECK_EQ("copy_page.own", pt_ext2(MMUEXT_COPY_PAGE, bmfn, amfn), 0);
    check(!memcmp(a, b, PAGE_SIZE), "copy_page.copied", "b[0] %#lx b[511] %#lx", b[0], b[511]);
    CHECK_EQ("copy_page.to_l1_refused", pt_ext2(MMUEXT_COPY_PAGE, sb1.l1_mfn, amfn), -XEN_EINVAL);
    CHECK_EQ("copy_page.from_l1_ok", pt_ext2(MMUEXT_COPY_PAGE, bmfn, sb1.l1_mfn), 0);
    check(b[0] == sb1.l1[0] && b[511] == sb1.l1[511], "copy_page.from_l1_copied", "b[0] %#lx", b[0]);
    CHECK_EQ("clear_page.own", pt_ext(MMUEXT_CLEAR_PAGE, amfn), 0);
    check(a[0] == 0 && a[511] == 0 && a[100] == 0, "clear_page.cleared", "a[0] %#lx a[511] %#lx",
          a[0], a[511]);
    CHECK_EQ("clear_page.l1_refused", pt_ext(MMUEXT_CLEAR_PAGE, sb1.l1_mfn), -XEN_EINVAL);
    CHECK_EQ("clear_page.l4_refused", pt_ext(MMUEXT_CLEAR_PAGE, pt_l4_mfn()), -XEN_EINVAL);

    CHECK_EQ("flush.tlb_local", pt_ext(MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
    CHECK_EQ("flush.tlb_all", pt_ext(MMUEXT_TLB_FLUSH_ALL, 0), 0);
    CHECK_EQ("flush.invlpg_local", pt_ext(MMUEXT_INVLPG_LOCAL, (u64)a), 0);
    CHECK_EQ("flush.invlpg_all", pt_ext(MMUEXT_INVLPG_ALL, (u64)a), 0);
    static unsigned long mask = 1;
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_MULTI };
    set_xen_guest_handle(op.arg2.vcpumask, (const void *)&mask);
    CHECK_EQ("flush.tlb_multi", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    set_xen_guest_handle(op.arg2.vcpumask, (const void *)0x10);
    CHECK_EQ("flush.tlb_multi_bad_mask", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);
    op.cmd = MMUEXT_INVLPG_MULTI;
    op.arg1.linear_addr = (u64)a;
    set_xen_guest_handle(op.arg2.vcpumask, (const void *)&mask);
    CHECK_EQ("flush.invlpg_multi", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    set_xen_guest_handle(op.arg2.vcpumask, (const void *)0x10);
    CHECK_EQ("flush.invlpg_multi_bad_mask", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);

    /* SET_LDT: at most 8192 entries, page aligned, a guest address. */
    op.cmd = MMUEXT_SET_LDT;
    op.arg1.linear_addr = (u64)b;
    op.arg2.nr_ents = 8193;
    CHECK_EQ("ldt.too_many_entries", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);
    op.arg1.linear_addr = (u64)b + 8;
    op.arg2.nr_ents = 1;
    CHECK_EQ("ldt.unaligned", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);
    op.arg1.linear_addr = XEN_SLOTS_VA;
    CHECK_EQ("ldt.hypervisor_range", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), -XEN_EINVAL);
    op.arg1.linear_addr = (u64)b;
    op.arg2.nr_ents = 0;
    CHECK_EQ("ldt.none", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    /* With no LDT, an LDT selector is out of its (zero) limit: #GP(selector). */
    u16 sel = 0x7;                          /* LDT entry 0, RPL 3 */
    struct fault f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == 13 && f.error_code == 0x4, "ldt.no_ldt_selector_gp",
          "mov 0x7 to es: fault %d (%s) error code %#x cr2 %#lx", f.vector, vector_name(f.vector),
          f.error_code, f.cr2);
    __asm__ volatile("mov %w0, %%es" :: "r"(0));
    /* ... even when the guest has a descriptor at linear address 0: no LDT
     * means no LDT, not one at address 0. */
    u64 zmfn, *z = data_page(&zmfn);
    z[0] = 0x00cff3000000ffffULL;          /* data, DPL 3, accessed */
    CHECK_EQ("ldt.map_page0", HYPERVISOR_update_va_mapping(0, pte(zmfn, RO), UVMF_INVLPG), 0);
    f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == 13 && f.error_code == 0x4, "ldt.no_ldt_ignores_descriptor_at_0",
          "mov 0x7 to es: fault %d (%s) error code %#x", f.vector, vector_name(f.vector), f.error_code);
    __asm__ volatile("mov %w0, %%es" :: "r"(0));
    CHECK_EQ("ldt.unmap_page0", HYPERVISOR_update_va_mapping(0, 0, UVMF_INVLPG), 0);
    free_page(z);
    /* A real LDT: one user data descriptor in a read-only page.  Xen maps it
     * when a selector first refers to it, taking the descriptor-page type. */
    u64 lmfn, *l = data_page(&lmfn);
    l[0] = 0x00cff2000000ffffULL;
    pt_remap(l, PTE_A);
    op.arg1.linear_addr = (u64)l;
    op.arg2.nr_ents = 1;
    CHECK_EQ("ldt.set", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    f = PROBE("mov %w0, %%es", :: "r"(sel));
    check(f.vector == -1, "ldt.selector_loads", "mov 0x7 to es: fault %d (%s) error code %#x",
          f.vector, vector_name(f.vector), f.error_code);
    __asm__ volatile("mov %w0, %%es" :: "r"(0));
    CHECK_EQ("ldt.page_in_use_not_writable", pt_remap(l, PTE_W | PTE_A | PTE_D), -XEN_EBUSY);
    op.arg2.nr_ents = 0;
    CHECK_EQ("ldt.unset", HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF), 0);
    CHECK_EQ("ldt.released_writable", pt_remap(l, PTE_W | PTE_A | PTE_D), 0);
    free_page(l);

    CHECK_EQ("mmuext.mark_super", pt_ext(MMUEXT_MARK_SUPER, amfn), -XEN_EOPNOTSUPP);
    CHECK_EQ("mmuext.unmark_super", pt_ext(MMUEXT_UNMARK_SUPER, amfn), -XEN_EOPNOTSUPP);
    CHECK_EQ("mmuext.unknown_cmd", pt_ext(14, 0), -XEN_ENOSYS);
    /* A batch stops at the first error, *pdone says where. */
    struct mmuext_op ops[3] = {
        { .cmd = MMUEXT_TLB_FLUSH_LOCAL }, { .cmd = MMUEXT_PIN_L1_TABLE }, { .cmd = MMUEXT_TLB_FLUSH_LOCAL },
    };
    ops[1].arg1.mfn = foreign;
    unsigned done = 99;
    long rc = HYPERVISOR_mmuext_op(ops, 3, &done, DOMID_SELF);
    check(rc == -XEN_EINVAL && done == 1, "mmuext.batch_pdone", "rc %ld done %u", rc, done);
    CHECK_EQ("mmuext.bad_foreigndom", HYPERVISOR_mmuext_op(ops, 1, NULL, 0x7fef), -XEN_ESRCH);
    CHECK_EQ("mmuext.null_ops", HYPERVISOR_mmuext_op(NULL, 1, NULL, DOMID_SELF), -XEN_EFAULT);
    free_page(a);
    free_page(b);
}

static void teardown(void)
{
    CHECK_EQ("teardown.sandbox1", pt_sandbox_destroy(&sb1), 0);
    CHECK_EQ("teardown.sandbox2", pt_sandbox_destroy(&sb2), 0);
    if (on_tern)
        CHECK_EQ("tern.audit", tern_audit(), 0);
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("the PV MMU does not exist natively");
        return;
    }
    on_tern = tern_present();
    io_rights = pv_is_dom0 && !on_tern;
    setup();
    mappings();
    foreign_frames();
    shared_info_page();
    own_tables();
    gdt_pages();
    pinning();
    xen_slots();
    cr3_table();
    linear();
    flags();
    mmu_update_misc();
    update_va_mapping_flags();
    mmuext_misc();
    teardown();
}
