/*
 * pt.c - page-table building blocks for the PV MMU tests (mmu_isolation,
 * mmu_fuzz).  PV only.
 *
 * A PV guest changes its page tables only through hypercalls; these wrappers
 * issue one request at a time (pt_update: mmu_update, pt_ext: mmuext_op) and
 * return the hypercall's result.  pt_alloc hands out a zeroed page of ours
 * mapped read-only at its bootstrap address (VA = pfn * 4 KiB), ready to be
 * pinned or linked as a table; pt_release makes it writable again.
 *
 * A sandbox is a private L3 -> L2 -> L1 chain hung under one unused slot of
 * the current L4 (the image lives in slot 0, the hypervisor in 256-271): its
 * 2 MiB at sb->base are mapped through sb->l1, whose entries the tests set
 * and clear freely.  Tables are read through their read-only mappings.
 *
 * pt_foreign_frame finds a RAM frame that is not ours: the M2P (read-only at
 * MACH2PHYS_VIRT_START) says which pfn a frame belongs to, and a frame is ours
 * exactly when our p2m (start_info.mfn_list) maps that pfn back to it.
 */
#include "guest.h"

long pt_update(u64 ptr, u64 val)
{
    struct mmu_update req = { .ptr = ptr, .val = val };
    return HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

long pt_ext(unsigned cmd, u64 arg1)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = arg1;
    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

long pt_ext2(unsigned cmd, u64 arg1, u64 arg2)
{
    struct mmuext_op op = { .cmd = cmd };
    op.arg1.mfn = arg1;
    op.arg2.src_mfn = arg2;
    return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

u64 pt_maddr(const void *table, unsigned slot)
{
    return (virt_to_mfn(table) << PAGE_SHIFT) + (u64)slot * 8;
}

u64 *pt_l4(void)
{
    return (u64 *)start_info->pt_base;
}

u64 pt_l4_mfn(void)
{
    return virt_to_mfn(pt_l4());
}

long pt_remap(void *va, u64 flags)
{
    return HYPERVISOR_update_va_mapping((u64)va,
                                        (virt_to_mfn(va) << PAGE_SHIFT) | flags | PTE_P,
                                        UVMF_INVLPG);
}

void *pt_alloc(u64 *mfn)
{
    void *p = alloc_page();
    if (!p)
        return NULL;
    if (pt_remap(p, PTE_A)) {
        free_page(p);
        return NULL;
    }
    if (mfn)
        *mfn = virt_to_mfn(p);
    return p;
}

long pt_release(void *va)
{
    long rc = pt_remap(va, PTE_W | PTE_A | PTE_D);
    if (rc == 0)
        free_page(va);
    return rc;
}

long pt_sandbox_create(struct pt_sandbox *sb, unsigned l4_slot)
{
    memset(sb, 0, sizeof(*sb));
    sb->slot = l4_slot;
    sb->base = (u64)l4_slot << 39;
    if (l4_slot >= 256)
        sb->base |= 0xffff000000000000ULL;
    /* Filled while still writable, then read-only, then linked: linking
     * validates the whole chain (L3 -> L2 -> L1) in one mmu_update. */
    u64 *l3 = alloc_page(), *l2 = alloc_page(), *l1 = alloc_page();
    if (!l3 || !l2 || !l1)
        return -XEN_ENOMEM;
    sb->l3 = l3;
    sb->l2 = l2;
    sb->l1 = l1;
    sb->l3_mfn = virt_to_mfn(l3);
    sb->l2_mfn = virt_to_mfn(l2);
    sb->l1_mfn = virt_to_mfn(l1);
    l3[0] = (sb->l2_mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_A;
    l2[0] = (sb->l1_mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_A;
    long rc;
    if ((rc = pt_remap(l3, PTE_A)) || (rc = pt_remap(l2, PTE_A)) || (rc = pt_remap(l1, PTE_A)))
        return rc;
    return pt_update(pt_maddr(pt_l4(), l4_slot),
                     (sb->l3_mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_A);
}

long pt_sandbox_destroy(struct pt_sandbox *sb)
{
    long rc = pt_update(pt_maddr(pt_l4(), sb->slot), 0);
    if (rc)
        return rc;
    if ((rc = pt_release(sb->l1)) || (rc = pt_release(sb->l2)) || (rc = pt_release(sb->l3)))
        return rc;
    memset(sb, 0, sizeof(*sb));
    return 0;
}

long pt_sandbox_map(struct pt_sandbox *sb, unsigned idx, u64 pte)
{
    return pt_update(pt_maddr(sb->l1, idx), pte);
}

bool pt_frame_is_ours(u64 mfn)
{
    u64 pfn = ~0ULL;
    const u64 *p = (const u64 *)&M2P[mfn];
    struct fault f = PROBE("mov (%1), %0", : "+r"(pfn) : "r"(p));
    if (f.vector != -1)
        return false;
    return pfn < start_info->nr_pages && pfn_to_mfn(pfn) == mfn;
}

u64 pt_foreign_frame(bool highest)
{
    long max = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    u64 top = max > 0 ? (u64)max : (u64)0x40000;
    if (highest) {
        for (u64 mfn = top - 1; mfn >= 0x100; mfn--)
            if (!pt_frame_is_ours(mfn))
                return mfn;
    } else {
        for (u64 mfn = 0x100; mfn < top; mfn++)
            if (!pt_frame_is_ours(mfn))
                return mfn;
    }
    return 0;
}
