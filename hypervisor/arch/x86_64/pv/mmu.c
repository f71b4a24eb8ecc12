/*
 * pv/mmu.c - the page-table hypercalls: mmu_update, mmuext_op,
 * update_va_mapping; and the machine-to-phys table every guest can read at
 * MACH2PHYS_VIRT_START.
 *
 * Every update goes through pv/mm.c, so the rules there hold whatever the
 * batch.  A long batch gives the CPU back when a softirq is pending: the
 * guest re-issues the call for the rest (*pdone keeps the count so far, and
 * MMU_UPDATE_PREEMPTED in the count marks a continued mmu_update, as on Xen).
 */
#include "arch/pv.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "domain.h"
#include "frame.h"
#include "guest_access.h"
#include "hypercall.h"
#include "layout.h"
#include "lib.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "mm_fast.h"

u64 *m2p_table;
u64 m2p_entries;

void m2p_init(void)
{
    m2p_entries = frame_table_size;
    u64 bytes = ALIGN_UP(m2p_entries * sizeof(u64), MiB(2));
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    mfn_t m = frames_alloc(order);
    if (mfn_x(m) == INVALID_MFN_RAW)
        panic("no memory for the machine-to-phys table (%llu KiB)", (unsigned long long)(bytes >> 10));
    m2p_table = mfn_to_virt(m);
    memset(m2p_table, 0xff, bytes);             /* INVALID_M2P_ENTRY */
    /* Read-only and user-readable in every address space (slot 256). */
    if (map_pages(M2P_RO_VIRT_START, mfn_x(m) << PAGE_SHIFT, bytes >> PAGE_SHIFT,
                  PTE_U | PTE_NX | pte_global_mask))
        panic("cannot map the machine-to-phys table");
}

/* ---- CR3 ---- */

static long new_baseptr(struct vcpu *v, u64 mfn, bool user)
{
    struct domain *d = v->domain;
    u64 *slot = user ? &v->arch.guest_table_user : &v->arch.guest_table;
    if (user && mfn == 0) {
        u64 old = *slot;
        *slot = 0;
        if (old)
            put_page_and_type(mfn_to_page(_mfn(old)));
        return 0;
    }
    if (!mfn_valid(_mfn(mfn)))
        return -EINVAL;
    if (mfn == *slot)
        return 0;
    struct page_info *pg = mfn_to_page(_mfn(mfn));
    int rc = get_page_and_type(pg, d, PGT_l4_page_table);
    if (rc)
        return rc;
    u64 old = *slot;
    *slot = mfn;
    if ((user && !v->arch.kernel_mode) || (!user && v->arch.kernel_mode))
        pv_load_cr3(v);
    if (old)
        put_page_and_type(mfn_to_page(_mfn(old)));
    return 0;
}

long pv_new_baseptr(struct vcpu *v, u64 mfn)
{
    spin_lock(&v->domain->mm_lock);
    long rc = new_baseptr(v, mfn, false);
    spin_unlock(&v->domain->mm_lock);
    return rc;
}

/* ---- the L1 entry that maps va in the current kernel page tables ---- */

u64 *guest_l1e(struct vcpu *v, u64 va, struct page_info **l1pg)
{
    if (!guest_range_ok(va, 1) || !is_canonical(va))
        return NULL;
    u64 *t = mfn_to_virt(_mfn(v->arch.guest_table));
    for (unsigned int level = 4; level > 1; level--) {
        u64 e = t[pt_index(va, level)];
        if (!(e & PTE_P) || (e & PTE_PS))
            return NULL;
        t = mfn_to_virt(_mfn((e & PTE_ADDR) >> PAGE_SHIFT));
    }
    *l1pg = mfn_to_page(virt_to_mfn(t));
    return &t[pt_index(va, 1)];
}

static long flush_by_flags(struct vcpu *v, u64 va, u64 flags)
{
    u64 mask = 0;
    switch (flags & UVMF_FLUSHTYPE_MASK) {
    case UVMF_TLB_FLUSH:
    case UVMF_INVLPG:
        break;
    default:
        return 0;                           /* UVMF_NONE, and 3 as Xen: no flush */
    }
    switch (flags & ~(u64)UVMF_FLUSHTYPE_MASK) {
    case UVMF_LOCAL:
        if ((flags & UVMF_FLUSHTYPE_MASK) == UVMF_INVLPG)
            invlpg((void *)va);
        else
            flush_tlb_local();
        return 0;
    case UVMF_ALL:
        domain_flush_tlb(v->domain);
        return 0;
    default: {
        /* UVMF_MULTI: a pointer to a vCPU bitmap in the upper bits. */
        u64 vcpumask = 0;
        if (copy_from_guest(&vcpumask, flags & ~(u64)UVMF_FLUSHTYPE_MASK & ~(u64)UVMF_MULTI,
                            sizeof(vcpumask)))
            return -EFAULT;
        struct domain *d = v->domain;
        for (unsigned int i = 0; i < d->max_vcpus && i < 64; i++)
            if ((vcpumask >> i) & 1)
                mask |= 1ull << d->vcpu[i]->processor;
        flush_tlb_mask(mask);
        return 0;
    }
    }
}

long do_update_va_mapping(u64 va, u64 val, u64 flags, u64 a4, u64 a5)
{
    (void)a4; (void)a5;
    struct vcpu *v = current;
    struct domain *d = v->domain;
    struct page_info *l1pg;
    spin_lock(&d->mm_lock);
    u64 *pl1e = guest_l1e(v, va, &l1pg);
    long rc = -EINVAL;
    if (pl1e && (l1pg->type_info & PGT_type_mask) == PGT_l1_page_table &&
        (l1pg->type_info & PGT_count_mask))
        rc = mod_l1_entry(d, pl1e, val, false);
    spin_unlock(&d->mm_lock);
    if (rc)
        return rc;
    return flush_by_flags(v, va, flags);
}

/* ---- mmu_update ---- */

/* The table page of the previous request, kept referenced across a batch. */
struct pt_cache {
    u64 mfn;
    struct page_info *pg;
};

static void pt_cache_drop(struct pt_cache *c)
{
    if (c->pg)
        put_page(c->pg);
    c->pg = NULL;
    c->mfn = ~0ull;
}

static long one_update(struct domain *d, u64 ptr, u64 val, struct pt_cache *c)
{
    unsigned int cmd = ptr & 7;             /* the low bits of an 8-byte aligned address */
    u64 mfn = ptr >> PAGE_SHIFT;

    if (unlikely(cmd == MMU_MACHPHYS_UPDATE)) {
        struct page_info *pg = get_page_from_mfn(mfn, d);
        if (!pg)
            return -EINVAL;
        set_gpfn_from_mfn(mfn, val);
        put_page(pg);
        return 0;
    }
    /* MMU_PT_UPDATE_NO_TRANSLATE: for a PV guest the address is a machine one
     * anyway, so it is a normal update (as Xen). */
    if (unlikely(cmd != MMU_NORMAL_PT_UPDATE && cmd != MMU_PT_UPDATE_PRESERVE_AD &&
                 cmd != MMU_PT_UPDATE_NO_TRANSLATE))
        return -ENOSYS;
    if (mfn != c->mfn) {
        pt_cache_drop(c);
        c->pg = get_page_from_mfn(mfn, d);
        if (!c->pg)
            return -EINVAL;
        c->mfn = mfn;
    }
    struct page_info *pg = c->pg;
    u64 *entry = (u64 *)((u8 *)mfn_to_virt(_mfn(mfn)) + (ptr & (PAGE_SIZE - 1) & ~7ull));
    unsigned int slot = (unsigned int)((ptr & (PAGE_SIZE - 1)) >> 3);
    u64 t = pg->type_info;
    if (likely((t & PGT_count_mask) && pgt_is_pagetable(t & PGT_type_mask) && (t & PGT_validated))) {
        if ((t & PGT_type_mask) == PGT_l1_page_table)
            return mod_l1_entry_inl(d, entry, val, cmd == MMU_PT_UPDATE_PRESERVE_AD);
        return mod_lN_entry(d, t & PGT_type_mask, entry, slot, val);
    }
    if (get_page_type(pg, PGT_writable_page) == 0) {
        /* Not a live page table: a plain write, as the guest could do itself. */
        __atomic_store_n(entry, val, __ATOMIC_RELEASE);
        put_page_type(pg);
        return 0;
    }
    return -EINVAL;
}

#define MMU_CHUNK 32

long do_mmu_update(u64 ureqs, u64 count, u64 pdone, u64 foreigndom, u64 a5)
{
    (void)a5;
    struct domain *d = current->domain;
    u64 done = 0;
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~(u64)MMU_UPDATE_PREEMPTED;
        if (pdone && copy_from_guest(&done, pdone, sizeof(u32)))
            done = 0;
        done &= 0xffffffff;
    }
    count &= 0xffffffff;
    if ((domid_t)foreigndom != DOMID_SELF && (domid_t)foreigndom != d->domain_id)
        return -ESRCH;

    struct mmu_update reqs[MMU_CHUNK];
    struct pt_cache cache = { ~0ull, NULL };
    long rc = 0;
    u64 i = 0;
    while (i < count) {
        if (i && hypercall_preempt_check()) {
            u64 args[5] = { ureqs + i * sizeof(struct mmu_update),
                            (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom };
            u32 d32 = (u32)(done + i);
            if (pdone)
                (void)copy_to_guest(pdone, &d32, sizeof(d32));
            pt_cache_drop(&cache);
            return hypercall_create_continuation(__HYPERVISOR_mmu_update, 4, args);
        }
        u64 n = count - i < MMU_CHUNK ? count - i : MMU_CHUNK;
        if (copy_from_guest(reqs, ureqs + i * sizeof(reqs[0]), n * sizeof(reqs[0]))) {
            /* Find the first request that cannot be read: all before it are done. */
            u64 ok = 0;
            while (ok < n && !copy_from_guest(&reqs[ok], ureqs + (i + ok) * sizeof(reqs[0]),
                                              sizeof(reqs[0])))
                ok++;
            n = ok;
            rc = -EFAULT;
        }
        spin_lock(&d->mm_lock);
        u64 j;
        long r = 0;
        for (j = 0; j < n; j++)
            if ((r = one_update(d, reqs[j].ptr, reqs[j].val, &cache)) != 0)
                break;
        spin_unlock(&d->mm_lock);
        i += j;
        if (r) {
            rc = r;
            break;
        }
        if (rc)
            break;
    }
    pt_cache_drop(&cache);
    if (pdone) {
        u32 d32 = (u32)(done + i);
        if (copy_to_guest(pdone, &d32, sizeof(d32)))
            rc = -EFAULT;
    }
    return rc;
}

/* ---- mmuext_op ---- */

static u64 pin_type(unsigned int cmd)
{
    switch (cmd) {
    case MMUEXT_PIN_L1_TABLE: return PGT_l1_page_table;
    case MMUEXT_PIN_L2_TABLE: return PGT_l2_page_table;
    case MMUEXT_PIN_L3_TABLE: return PGT_l3_page_table;
    case MMUEXT_PIN_L4_TABLE: return PGT_l4_page_table;
    }
    return 0;
}

static long one_ext(struct vcpu *v, const struct mmuext_op *op)
{
    struct domain *d = v->domain;
    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE: {
        u64 mfn = op->arg1.mfn;
        if (!mfn_valid(_mfn(mfn)))
            return -EINVAL;
        struct page_info *pg = mfn_to_page(_mfn(mfn));
        int rc = get_page_and_type(pg, d, pin_type(op->cmd));
        if (rc)
            return rc;
        if (__atomic_fetch_or(&pg->type_info, PGT_pinned, __ATOMIC_SEQ_CST) & PGT_pinned) {
            put_page_and_type(pg);
            return -EINVAL;                     /* already pinned */
        }
        return 0;
    }
    case MMUEXT_UNPIN_TABLE: {
        u64 mfn = op->arg1.mfn;
        struct page_info *pg = get_page_from_mfn(mfn, d);
        if (!pg)
            return -EINVAL;
        if (!(__atomic_fetch_and(&pg->type_info, ~PGT_pinned, __ATOMIC_SEQ_CST) & PGT_pinned)) {
            put_page(pg);
            return -EINVAL;                     /* not pinned */
        }
        put_page_and_type(pg);
        put_page(pg);
        return 0;
    }
    case MMUEXT_NEW_BASEPTR:
        return new_baseptr(v, op->arg1.mfn, false);
    case MMUEXT_NEW_USER_BASEPTR:
        return new_baseptr(v, op->arg1.mfn, true);
    case MMUEXT_TLB_FLUSH_LOCAL:
        flush_tlb_local();
        return 0;
    case MMUEXT_INVLPG_LOCAL:
        if (is_canonical(op->arg1.linear_addr))
            invlpg((void *)op->arg1.linear_addr);
        return 0;
    case MMUEXT_TLB_FLUSH_ALL:
    case MMUEXT_INVLPG_ALL:
        domain_flush_tlb(d);
        return 0;
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI: {
        u64 vmask = 0, cpus = 0;
        if (copy_from_guest(&vmask, (u64)(uintptr_t)op->arg2.vcpumask.p, sizeof(vmask)))
            return -EINVAL;                     /* Xen's answer to an unreadable mask */
        for (unsigned int i = 0; i < d->max_vcpus && i < 64; i++)
            if ((vmask >> i) & 1)
                cpus |= 1ull << d->vcpu[i]->processor;
        flush_tlb_mask(cpus);
        return 0;
    }
    case MMUEXT_SET_LDT:
        return pv_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
    case MMUEXT_MARK_SUPER:
    case MMUEXT_UNMARK_SUPER:
        return -EOPNOTSUPP;                     /* no superpages, as Xen 4.17 */
    case MMUEXT_COPY_PAGE:
    case MMUEXT_CLEAR_PAGE: {
        struct page_info *dst = get_page_from_mfn(op->arg1.mfn, d);
        if (!dst)
            return -EINVAL;
        long rc = get_page_type(dst, PGT_writable_page) ? -EINVAL : 0;
        if (!rc) {
            if (op->cmd == MMUEXT_CLEAR_PAGE) {
                memset(mfn_to_virt(_mfn(op->arg1.mfn)), 0, PAGE_SIZE);
            } else {
                struct page_info *src = get_page_from_mfn(op->arg2.src_mfn, d);
                if (src) {
                    memcpy(mfn_to_virt(_mfn(op->arg1.mfn)), mfn_to_virt(_mfn(op->arg2.src_mfn)),
                           PAGE_SIZE);
                    put_page(src);
                } else {
                    rc = -EINVAL;
                }
            }
            put_page_type(dst);
        }
        put_page(dst);
        return rc;
    }
    }
    return -ENOSYS;
}

long do_mmuext_op(u64 uops, u64 count, u64 pdone, u64 foreigndom, u64 a5)
{
    (void)a5;
    struct vcpu *v = current;
    struct domain *d = v->domain;
    u64 done = 0;
    if (count & MMU_UPDATE_PREEMPTED) {
        count &= ~(u64)MMU_UPDATE_PREEMPTED;
        if (pdone && copy_from_guest(&done, pdone, sizeof(u32)))
            done = 0;
        done &= 0xffffffff;
    }
    count &= 0xffffffff;
    if ((domid_t)foreigndom != DOMID_SELF && (domid_t)foreigndom != d->domain_id)
        return -ESRCH;

    long rc = 0;
    u64 i;
    for (i = 0; i < count; i++) {
        if (i && hypercall_preempt_check()) {
            u64 args[5] = { uops + i * sizeof(struct mmuext_op),
                            (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom };
            u32 d32 = (u32)(done + i);
            if (pdone)
                (void)copy_to_guest(pdone, &d32, sizeof(d32));
            return hypercall_create_continuation(__HYPERVISOR_mmuext_op, 4, args);
        }
        struct mmuext_op op;
        if (copy_from_guest(&op, uops + i * sizeof(op), sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        spin_lock(&d->mm_lock);
        rc = one_ext(v, &op);
        spin_unlock(&d->mm_lock);
        if (rc)
            break;
    }
    if (pdone) {
        u32 d32 = (u32)(done + i);
        if (copy_to_guest(pdone, &d32, sizeof(d32)))
            rc = -EFAULT;
    }
    return rc;
}
