/*
 * pv/audit.c - recount every reference a domain's frames should carry, from
 * its live page tables, pins and vCPUs, and compare with the frame table.
 *
 * Expected general count of a frame: its allocation reference, one per pin,
 * one per present entry of a validated table that maps or points to it, one
 * per vCPU base pointer or GDT frame naming it, one for a registered
 * vcpu_info.  Expected type count: the same without the allocation reference
 * and without read-only L1 mappings.  Called with d->mm_lock held (the
 * caller's other vCPUs cannot change tables meanwhile).
 */
#include "domain.h"
#include "frame.h"
#include "heap.h"
#include "lib.h"
#include "mm.h"
#include "arch/mm.h"
#include "arch/pagetable.h"

struct expect {
    u32 count, type;
    s32 linear;                 /* linear entries in it, minus linear uses of it */
};

static void ref(struct expect *e, u64 mfn, bool type)
{
    if (mfn < frame_table_size) {
        e[mfn].count++;
        if (type)
            e[mfn].type++;
    }
}

static void count_table(struct expect *e, struct page_info *pg)
{
    u64 t = pg->type_info;
    if (!pgt_is_pagetable(t & PGT_type_mask) || !(t & PGT_count_mask) || !(t & PGT_validated))
        return;
    unsigned int level = (unsigned int)((t & PGT_type_mask) >> PGT_type_shift);
    u64 self = mfn_x(page_to_mfn(pg));
    const u64 *ent = mfn_to_virt(page_to_mfn(pg));
    for (unsigned int i = 0; i < PT_ENTRIES; i++) {
        if (level == 4 && i >= HV_SLOT_FIRST && i <= HV_SLOT_LAST)
            continue;
        if (!(ent[i] & PTE_P))
            continue;
        u64 m = (ent[i] & PTE_ADDR) >> PAGE_SHIFT;
        if (level > 1 && m == self)
            continue;                   /* a linear self-reference holds nothing */
        ref(e, m, level > 1 || (ent[i] & PTE_W));
        if (level > 1 && m < frame_table_size &&
            ((frame_table[m].type_info ^ t) & PGT_type_mask) == 0) {
            e[self].linear++;           /* a linear entry to another table */
            e[m].linear--;
        }
    }
}

bool mm_audit_domain(struct domain *d, char *why, size_t whylen)
{
    u64 bytes = frame_table_size * sizeof(struct expect);
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    struct expect *e = alloc_pages(order);
    if (!e) {
        snprintf(why, whylen, "no memory for the audit");
        return false;
    }
    struct page_info *si = mfn_to_page(_mfn(d->shared_info_mfn));
    for (struct page_info *pg = page_list_first(&d->page_list); pg; pg = page_list_next(pg))
        count_table(e, pg);
    for (int pass = 0; pass < 2; pass++) {
        struct page_info *pg = pass ? si : page_list_first(&d->page_list);
        for (; pg; pg = pass ? NULL : page_list_next(pg)) {
            u64 m = mfn_x(page_to_mfn(pg));
            if (pg->count_info & PGC_allocated)
                e[m].count++;
            if (pg->type_info & PGT_pinned)
                ref(e, m, true);
        }
    }
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpu[i];
        if (v->arch.guest_table)
            ref(e, v->arch.guest_table, true);
        if (v->arch.guest_table_user)
            ref(e, v->arch.guest_table_user, true);
        for (unsigned int g = 0; g < NR_GUEST_GDT_FRAMES; g++)
            if (v->arch.gdt_frames[g])
                ref(e, v->arch.gdt_frames[g], true);
        if (v->vcpu_info_mfn)
            ref(e, v->vcpu_info_mfn, true);
    }

    bool ok = true;
    u64 checked = 0;
    for (int pass = 0; pass < 2 && ok; pass++) {
        struct page_info *pg = pass ? si : page_list_first(&d->page_list);
        for (; pg && ok; pg = pass ? NULL : page_list_next(pg)) {
            u64 m = mfn_x(page_to_mfn(pg));
            u64 count = pg->count_info & PGC_count_mask, type = pg->type_info & PGT_count_mask;
            checked++;
            if (pg->linear_pt != e[m].linear) {
                snprintf(why, whylen, "frame %#llx: linear count %d expected %d",
                         (unsigned long long)m, pg->linear_pt, e[m].linear);
                ok = false;
            }
            if (count != e[m].count || type != e[m].type) {
                snprintf(why, whylen, "frame %#llx (type %llu): count %llu expected %u, type count %llu expected %u",
                         (unsigned long long)m, (unsigned long long)(pg->type_info >> PGT_type_shift),
                         (unsigned long long)count, e[m].count, (unsigned long long)type, e[m].type);
                ok = false;
            }
            if (pg->owner != d->domain_id || pg->state != PGS_DOMAIN) {
                snprintf(why, whylen, "frame %#llx on the page list is not owned by the domain",
                         (unsigned long long)m);
                ok = false;
            }
        }
    }
    if (ok && checked != d->tot_pages + 1) {
        snprintf(why, whylen, "page list has %llu frames, tot_pages %llu",
                 (unsigned long long)checked - 1, (unsigned long long)d->tot_pages);
        ok = false;
    }
    free_pages(e, order);
    return ok;
}
