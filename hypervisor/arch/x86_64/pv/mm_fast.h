/*
 * pv/mm_fast.h - the fast paths of the PV memory model (pv/mm.c has the
 * model and the slow paths): references and types taken and dropped with one
 * atomic operation each when nothing changes type, and L1 entry updates.
 * Inline, because mmu_update runs them once per entry of a batch.
 */
#ifndef PV_MM_FAST_H
#define PV_MM_FAST_H

#include "mm.h"
#include "arch/pagetable.h"
#include <domain.h>

/* Xen's guest-accessible flags: P, RW, U, A, D, the available bits 9-11 and
 * 52-62, NX where the CPU has it; G too in an L1.  Refused: PWT, PCD, PAT/PSE
 * (no domain here has I/O rights), G above L1. */
#define LN_FLAGS_ALLOWED_BASE (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | (7ull << 9) | \
                               (0x7ffull << 52))
#define PTE_FLAGS_MASK        (~PTE_ADDR)
/* Xen's _PAGE_GUEST_KERNEL: a guest kernel mapping (its user bit was forced). */
#define PTE_GUEST_KERNEL      (1ull << 52)

static inline u64 l1_allowed(void) { return LN_FLAGS_ALLOWED_BASE | PTE_G | pte_nx_mask; }
static inline u64 ln_allowed(void) { return LN_FLAGS_ALLOWED_BASE | pte_nx_mask; }

/* Guest kernels run in ring 3, so every mapping is a user mapping.  As Xen:
 * one the guest made without the user bit is a kernel mapping and carries
 * PTE_GUEST_KERNEL; every other is global, so that it survives the switch
 * between the guest's kernel and user tables (every other CR3 load flushes
 * global translations too: pv_load_cr3). */
static __always_inline u64 adjust_guest_l1e(u64 e)
{
    if (!(e & PTE_U))
        e |= PTE_GUEST_KERNEL | PTE_U;
    if (!(e & PTE_GUEST_KERNEL))
        e |= PTE_G;
    return e;
}


void pv_free_domain_page(struct page_info *pg);
int pv_get_page_type_slow(struct page_info *pg, u64 type);
void pv_put_page_type_slow(struct page_info *pg);

/* Take a reference first (never from zero: a free or hypervisor frame has a
 * zero count), then check the owner: a frame cannot change hands while
 * referenced. */
static __always_inline bool get_page_inl(struct page_info *pg, const struct domain *d)
{
    u64 x = __atomic_load_n(&pg->count_info, __ATOMIC_RELAXED);
    do {
        u64 c = x & PGC_count_mask;
        if (unlikely(c == 0 || c == PGC_count_mask))
            return false;                /* being freed, or saturated */
    } while (unlikely(!__atomic_compare_exchange_n(&pg->count_info, &x, x + 1, false,
                                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)));
    if (unlikely(!d || pg->state != PGS_DOMAIN || pg->owner != d->domain_id)) {
        put_page(pg);
        return false;
    }
    return true;
}

static __always_inline void put_page_inl(struct page_info *pg)
{
    u64 x = __atomic_sub_fetch(&pg->count_info, 1, __ATOMIC_RELEASE);
    if (unlikely((x & PGC_count_mask) == 0))
        pv_free_domain_page(pg);
}

/* Fast path: another reference to a validated type, or writable from zero. */
static __always_inline int get_page_type_inl(struct page_info *pg, u64 type)
{
    u64 x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE);
    u64 count = x & PGT_count_mask;
    if (likely((x & (PGT_type_mask | PGT_validated)) == (type | PGT_validated) &&
               count != PGT_count_mask && (count || type == PGT_writable_page) &&
               __atomic_compare_exchange_n(&pg->type_info, &x, x + 1, false,
                                           __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)))
        return 0;
    return pv_get_page_type_slow(pg, type);
}

static __always_inline void put_page_type_inl(struct page_info *pg)
{
    u64 x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE);
    if (likely((x & PGT_count_mask) > 1) &&
        __atomic_compare_exchange_n(&pg->type_info, &x, x - 1, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    pv_put_page_type_slow(pg);
}

static __always_inline int get_page_from_l1e(struct domain *d, u64 *pe)
{
    u64 e = *pe;
    if (e & ~PTE_ADDR & ~l1_allowed())
        return -EINVAL;
    u64 mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
    if (!mfn_valid(_mfn(mfn)))
        return -EPERM;                      /* not RAM: no domain here maps MMIO */
    struct page_info *pg = mfn_to_page(_mfn(mfn));
    if (!get_page_inl(pg, d))
        return -EBUSY;
    if ((e & PTE_W) && get_page_type_inl(pg, PGT_writable_page) != 0) {
        put_page_inl(pg);
        return -EBUSY;
    }
    *pe = adjust_guest_l1e(e);
    return 0;
}

static __always_inline void put_page_from_l1e(u64 e)
{
    if (!(e & PTE_P))
        return;
    struct page_info *pg = mfn_to_page(_mfn((e & PTE_ADDR) >> PAGE_SHIFT));
    if (e & PTE_W)
        put_page_type_inl(pg);
    put_page_inl(pg);
}

/* Same frame and the same RW/P: only harmless flags change, no references move. */
static __always_inline bool same_refs(u64 o, u64 n)
{
    return ((o ^ n) & (PTE_ADDR | PTE_P | PTE_W)) == 0;
}

static __always_inline u64 write_entry(u64 *pe, u64 n, bool preserve_ad)
{
    if (!preserve_ad)
        return __atomic_exchange_n(pe, n, __ATOMIC_ACQ_REL);
    u64 o = __atomic_load_n(pe, __ATOMIC_RELAXED);
    for (;;) {
        u64 v = preserve_ad ? (n | (o & (PTE_A | PTE_D))) : n;
        if (__atomic_compare_exchange_n(pe, &o, v, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return o;
    }
}

static __always_inline int mod_l1_entry_inl(struct domain *d, u64 *pl1e, u64 nl1e, bool preserve_ad)
{
    u64 ol1e = __atomic_load_n(pl1e, __ATOMIC_RELAXED);
    if (nl1e & PTE_P) {
        if (nl1e & ~PTE_ADDR & ~l1_allowed())
            return -EINVAL;
        if ((ol1e & PTE_P) && same_refs(ol1e, nl1e)) {
            write_entry(pl1e, adjust_guest_l1e(nl1e), preserve_ad);
            return 0;
        }
        int rc = get_page_from_l1e(d, &nl1e);
        if (rc)
            return rc;
    }
    ol1e = write_entry(pl1e, nl1e, preserve_ad);
    put_page_from_l1e(ol1e);
    return 0;
}

#endif
