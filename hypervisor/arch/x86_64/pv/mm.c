/*
 * pv/mm.c - references, page types and page-table validation (the PV MMU's
 * security core; the model is in include/mm.h).
 *
 * Rules enforced here, each answered as Xen answers it:
 *  - a present L1 entry may map only a frame the domain owns (-EBUSY; a frame
 *    beyond RAM -EPERM), with no disallowed flag bits (-EINVAL: PWT/PCD/PAT,
 *    NX without CPU support); a writable mapping needs the writable type, so
 *    a page-table or descriptor page cannot be mapped writable (-EBUSY);
 *  - a present L2/L3/L4 entry must point to a frame of the domain that
 *    validates as the next level down; the lower table's error is passed on
 *    (-EINVAL for a wrong owner, a type conflict, PSE/PAT/G/PWT/PCD bits);
 *  - a read-only entry may instead point to its own table or to another
 *    validated table of the same level (Xen's linear page tables), one level
 *    deep: pg->linear_pt counts such entries in a table (> 0) or uses of it
 *    (< 0), never both;
 *  - L4 slots 256-271 belong to the hypervisor: validation ignores what the
 *    guest put there and installs the hypervisor's entries;
 *  - the user bit is forced on every guest entry (guest kernels run in ring
 *    3); an L1 entry the guest made without it carries PTE_GUEST_KERNEL, every
 *    other L1 entry is global (mm_fast.h, adjust_guest_l1e), so CR3 loads other
 *    than the guest's kernel/user switch flush global translations too;
 *  - a frame changes type only at type count zero, and only after every CPU
 *    that may hold a stale translation of it has flushed its TLB.
 * Validation and devalidation of a domain's tables run under d->mm_lock; the
 * counts themselves are atomic, for references from other domains.
 */
#include "mm.h"
#include "domain.h"
#include "frame.h"
#include "lib.h"
#include "panic.h"
#include "console.h"
#include "percpu.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "arch/desc.h"
#include "arch/pv.h"
#include "ipi.h"
#include "mm_fast.h"

static bool guest_l4_slot(unsigned int slot)
{
    return slot < HV_SLOT_FIRST || slot > HV_SLOT_LAST;
}

struct domain *page_get_owner(const struct page_info *pg)
{
    if (pg->state != PGS_DOMAIN || pg->owner >= MAX_DOMAINS)
        return NULL;
    return domain_table[pg->owner];
}

/* ---- general references ---- */

/* Out of line: the last reference went, the frame goes back to the allocator. */
void __noinline pv_free_domain_page(struct page_info *pg)
{
    /* The domain has already dropped PGC_allocated. */
    struct domain *d = page_get_owner(pg);
    if (d) {
        u64 f = spin_lock_irqsave(&d->page_lock);
        if (!(pg->flags & PGF_XENHEAP)) {
            page_list_del(&d->page_list, pg);
            d->tot_pages--;
        }
        spin_unlock_irqrestore(&d->page_lock, f);
    }
    pg->owner = 0;
    pg->linear_pt = 0;
    pg->flags = 0;
    pg->type_info = 0;
    frames_free(page_to_mfn(pg), 0);
    if (!d)
        return;
    if (READ_ONCE(d->state) == DOM_DEAD && READ_ONCE(d->tot_pages) == 0)
        domain_release(d);
    else
        domain_maybe_destroy(d);
}

bool get_page(struct page_info *pg, struct domain *d)
{
    return get_page_inl(pg, d);
}

void put_page(struct page_info *pg)
{
    put_page_inl(pg);
}

struct page_info *get_page_from_mfn(u64 mfn, struct domain *d)
{
    if (!mfn_valid(_mfn(mfn)))
        return NULL;
    struct page_info *pg = mfn_to_page(_mfn(mfn));
    return get_page(pg, d) ? pg : NULL;
}

/* ---- TLB flushing ---- */

static void flush_tlb_ipi(void *unused)
{
    (void)unused;
    flush_tlb_local();
}

void flush_tlb_local(void)
{
    write_cr3_flush_all(read_cr3());
    this_cpu()->tlbflush_stamp = rdtsc();
}

void flush_tlb_mask(u64 mask)
{
    unsigned int self = smp_processor_id();
    for (unsigned int cpu = 0; cpu < NR_CPUS && mask; cpu++) {
        if (!(mask & (1ull << cpu)))
            continue;
        mask &= ~(1ull << cpu);
        if (cpu == self)
            flush_tlb_local();
        else if (percpu_area[cpu])
            ipi_call(cpu, flush_tlb_ipi, NULL);
    }
}

void domain_flush_tlb(struct domain *d)
{
    flush_tlb_mask(__atomic_load_n(&d->dirty_cpus, __ATOMIC_ACQUIRE));
}

/* Before a frame takes a new type: no CPU that ran the domain may still hold
 * a translation from before the old type's count dropped to zero. */
static void flush_stale(struct page_info *pg, struct domain *d)
{
    u64 stamp = pg->tlbflush_stamp;
    u64 need = 0, mask = d ? __atomic_load_n(&d->dirty_cpus, __ATOMIC_ACQUIRE) : ~0ull;
    if (!stamp)
        return;
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if ((mask & (1ull << cpu)) && percpu_area[cpu] &&
            percpu_area[cpu]->tlbflush_stamp <= stamp)
            need |= 1ull << cpu;
    if (need)
        flush_tlb_mask(need);
    pg->tlbflush_stamp = 0;
}

/* ---- types ---- */

static int validate_table(struct page_info *pg, u64 type);
static void devalidate_table(struct page_info *pg, u64 type);

/* Slow path: the frame takes a type at type count zero (a change, or a page
 * table to validate again). */
int __noinline pv_get_page_type_slow(struct page_info *pg, u64 type)
{
    u64 x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE), nx;
    for (;;) {
        u64 count = x & PGT_count_mask;
        if (count == PGT_count_mask)
            return -EINVAL;
        if (count == 0) {
            /* Free to take any type.  A page-table type needs (re)validation. */
            nx = type | 1;
            if ((x & PGT_type_mask) == type && (x & PGT_validated))
                nx |= PGT_validated;
            if (type == PGT_writable_page || type == PGT_none)
                nx |= PGT_validated;
        } else {
            if ((x & PGT_type_mask) != type)
                return -EINVAL;
            if (!(x & PGT_validated))
                return -EINVAL;           /* being validated: a recursive reference */
            nx = x + 1;
        }
        if (__atomic_compare_exchange_n(&pg->type_info, &x, nx, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    }
    if ((x & PGT_count_mask) == 0) {
        if ((x & PGT_type_mask) != type || !(x & PGT_validated))
            flush_stale(pg, page_get_owner(pg));
        if (!(nx & PGT_validated)) {
            int rc = type == PGT_seg_desc_page ? validate_seg_desc_page(pg)
                                               : validate_table(pg, type);
            if (rc) {
                __atomic_store_n(&pg->type_info, PGT_none, __ATOMIC_RELEASE);
                return rc;
            }
            __atomic_fetch_or(&pg->type_info, PGT_validated, __ATOMIC_RELEASE);
        }
    }
    return 0;
}

void __noinline pv_put_page_type_slow(struct page_info *pg)
{
    u64 x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE), nx;
    for (;;) {
        u64 count = x & PGT_count_mask;
        BUG_ON(count == 0);
        nx = x - 1;
        if (count == 1 && pgt_is_pagetable(x & PGT_type_mask))
            nx &= ~PGT_validated;          /* keeps its type, loses its references */
        if (__atomic_compare_exchange_n(&pg->type_info, &x, nx, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            break;
    }
    if ((x & PGT_count_mask) == 1) {
        pg->tlbflush_stamp = rdtsc();
        if (pgt_is_pagetable(x & PGT_type_mask) && (x & PGT_validated))
            devalidate_table(pg, x & PGT_type_mask);
    }
}

int get_page_type(struct page_info *pg, u64 type)
{
    return get_page_type_inl(pg, type);
}

void put_page_type(struct page_info *pg)
{
    put_page_type_inl(pg);
}

/* ---- validation of table entries ---- */

/*
 * Linear ("recursive") page tables, as Xen 4.17 allows them: a read-only
 * entry of an Lx table may point to the table itself, or to another
 * validated Lx table of the domain.  No chains: a table with linear entries
 * cannot be the target of one and vice versa (pg->linear_pt counts entries
 * up, uses down).  A self-reference takes no reference; one to another table
 * takes a general and a type reference on it.
 */
static bool inc_linear(s16 *c, int dir)
{
    s16 o = __atomic_load_n(c, __ATOMIC_RELAXED);
    do {
        int n = o + dir;
        if (dir > 0 ? n <= 0 || n > 0x7fff : n >= 0 || n < -0x7fff)
            return false;
    } while (!__atomic_compare_exchange_n(c, &o, (s16)(o + dir), false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return true;
}

static void dec_linear(s16 *c, int dir)
{
    __atomic_fetch_sub(c, (s16)dir, __ATOMIC_ACQ_REL);
}

static bool get_linear_table(struct domain *d, u64 e, struct page_info *ptpg, u64 table_type)
{
    if (e & PTE_W)
        return false;
    u64 mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
    if (mfn == mfn_x(page_to_mfn(ptpg)))
        return true;
    struct page_info *pg = get_page_from_mfn(mfn, d);
    if (!pg)
        return false;
    if (!inc_linear(&ptpg->linear_pt, 1)) {
        put_page(pg);
        return false;
    }
    if (!inc_linear(&pg->linear_pt, -1)) {
        dec_linear(&ptpg->linear_pt, 1);
        put_page(pg);
        return false;
    }
    u64 x = __atomic_load_n(&pg->type_info, __ATOMIC_ACQUIRE);
    do {
        if ((x & PGT_count_mask) == PGT_count_mask ||
            (x & (PGT_type_mask | PGT_validated)) != (table_type | PGT_validated)) {
            dec_linear(&pg->linear_pt, -1);
            dec_linear(&ptpg->linear_pt, 1);
            put_page(pg);
            return false;
        }
    } while (!__atomic_compare_exchange_n(&pg->type_info, &x, x + 1, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return true;
}

/* An entry of table ptpg (level 2-4) to the next level down, or a linear one.
 * Errors are those of the lower table's validation, as Xen passes them on. */
static int get_page_from_lNe(struct domain *d, u64 *pe, unsigned int level, struct page_info *ptpg)
{
    u64 e = *pe;
    if (e & ~PTE_ADDR & ~ln_allowed())
        return -EINVAL;
    u64 mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
    struct page_info *pg = mfn_valid(_mfn(mfn)) ? mfn_to_page(_mfn(mfn)) : NULL;
    u64 type = (u64)(level - 1) << PGT_type_shift;
    int rc = pg ? get_page_and_type(pg, d, type) : -EINVAL;
    if (rc == -EINVAL && get_linear_table(d, e, ptpg, (u64)level << PGT_type_shift))
        rc = 0;
    if (!rc)
        *pe = e | PTE_U;
    return rc;
}

static void put_page_from_lNe(u64 e, struct page_info *ptpg)
{
    if (!(e & PTE_P))
        return;
    mfn_t m = _mfn((e & PTE_ADDR) >> PAGE_SHIFT);
    if (mfn_x(m) == mfn_x(page_to_mfn(ptpg)))
        return;                             /* a linear self-reference holds nothing */
    struct page_info *pg = mfn_to_page(m);
    if (((pg->type_info ^ ptpg->type_info) & PGT_type_mask) == 0) {
        dec_linear(&pg->linear_pt, -1);     /* a linear entry: same level */
        dec_linear(&ptpg->linear_pt, 1);
    }
    put_page_and_type(pg);
}

static unsigned int type_level(u64 type)
{
    return (unsigned int)(type >> PGT_type_shift);
}

static int validate_table(struct page_info *pg, u64 type)
{
    struct domain *d = page_get_owner(pg);
    u64 *t = mfn_to_virt(page_to_mfn(pg));
    unsigned int level = type_level(type);
    int rc = 0;
    unsigned int i;

    for (i = 0; i < PT_ENTRIES; i++) {
        if (level == 4 && !guest_l4_slot(i))
            continue;
        if (!(t[i] & PTE_P))
            continue;
        rc = level == 1 ? get_page_from_l1e(d, &t[i]) : get_page_from_lNe(d, &t[i], level, pg);
        if (rc)
            break;
    }
    if (rc) {
        while (i-- > 0) {
            if (level == 4 && !guest_l4_slot(i))
                continue;
            if (level == 1)
                put_page_from_l1e(t[i]);
            else
                put_page_from_lNe(t[i], pg);
        }
        return rc;
    }
    if (level == 4)
        for (i = HV_SLOT_FIRST; i <= HV_SLOT_LAST; i++)
            t[i] = hv_l4_template[i];
    return 0;
}

static void devalidate_table(struct page_info *pg, u64 type)
{
    u64 *t = mfn_to_virt(page_to_mfn(pg));
    unsigned int level = type_level(type);
    for (unsigned int i = 0; i < PT_ENTRIES; i++) {
        if (level == 4 && !guest_l4_slot(i))
            continue;
        if (level == 1)
            put_page_from_l1e(t[i]);
        else
            put_page_from_lNe(t[i], pg);
    }
}

int get_page_and_type(struct page_info *pg, struct domain *d, u64 type)
{
    if (!get_page(pg, d))
        return -EINVAL;
    int rc = get_page_type(pg, type);
    if (rc)
        put_page(pg);
    return rc;
}

void put_page_and_type(struct page_info *pg)
{
    put_page_type(pg);
    put_page(pg);
}

/* ---- entry updates of live tables ---- */

int mod_l1_entry(struct domain *d, u64 *pl1e, u64 nl1e, bool preserve_ad)
{
    return mod_l1_entry_inl(d, pl1e, nl1e, preserve_ad);
}


/*
 * ptwr: replace exactly `old` by `nl1e` in a live L1 entry, with validation.
 * -EAGAIN if the entry is no longer `old` (the CPU set an A/D bit).
 */
int ptwr_update_l1(struct domain *d, u64 *pl1e, u64 old, u64 nl1e)
{
    bool refs = false;
    if (nl1e & PTE_P) {
        if (nl1e & ~PTE_ADDR & ~l1_allowed())
            return -EINVAL;
        if ((old & PTE_P) && same_refs(old, nl1e)) {
            nl1e = adjust_guest_l1e(nl1e);
        } else {
            int rc = get_page_from_l1e(d, &nl1e);
            if (rc)
                return rc;
            refs = true;
        }
    }
    u64 expect = old;
    if (!__atomic_compare_exchange_n(pl1e, &expect, nl1e, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED)) {
        if (refs)
            put_page_from_l1e(nl1e);
        return -EAGAIN;
    }
    if (!(nl1e & PTE_P) || refs)
        put_page_from_l1e(old);
    return 0;
}

int mod_lN_entry(struct domain *d, u64 table_type, u64 *ple, unsigned int slot, u64 ne)
{
    unsigned int level = type_level(table_type);
    if (level == 4 && !guest_l4_slot(slot))
        return -EINVAL;                     /* the hypervisor's slots */
    struct page_info *ptpg = mfn_to_page(virt_to_mfn(ple));
    u64 oe = __atomic_load_n(ple, __ATOMIC_RELAXED);
    if (ne & PTE_P) {
        if (ne & ~PTE_ADDR & ~ln_allowed())
            return -EINVAL;
        /* Same target, same RW: only harmless bits change (RW decides whether
         * a linear entry may exist). */
        if ((oe & PTE_P) && ((oe ^ ne) & (PTE_ADDR | PTE_P | PTE_W)) == 0) {
            write_entry(ple, ne | PTE_U, false);
            return 0;
        }
        int rc = get_page_from_lNe(d, &ne, level, ptpg);
        if (rc)
            return rc;
    }
    oe = write_entry(ple, ne, false);
    put_page_from_lNe(oe, ptpg);
    return 0;
}
