/*
 * test_pv_mm.c - hypervisor/arch/x86_64/pv/mm.c and mm_fast.h: references,
 * page types and type counts, the validation of page tables at every level,
 * linear tables, the hypervisor's L4 slots, entry updates (mod_l1_entry,
 * mod_lN_entry, ptwr_update_l1) and TLB flush stamps, on crafted frame
 * tables.
 *
 * The machine (shim.h) has NR_FRAMES frames; domain A (id 1) owns the tables
 * under test, domain B (id 2) is the foreigner; four fake CPUs record their
 * TLB flushes (shim_pv.h).  Frames come from the allocator, so tests name
 * them by variable, never by number.  Tables are held the way MMUEXT_PIN_*
 * holds them (pin(): a type reference and PGT_pinned).  Every scenario ends
 * in finish(): pv/audit.c's recount agrees with the frame table for both
 * domains, and once the domains die every frame is back in the allocator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "shim.h"
#include "shim_pv.h"
#include "domain.h"
#include "frame.h"
#include "mm.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "mm_fast.h"

#define NR_FRAMES   256
#define LOW         8
#define BEYOND_RAM  (NR_FRAMES + 10)

#define L1  PGT_l1_page_table
#define L2  PGT_l2_page_table
#define L3  PGT_l3_page_table
#define L4  PGT_l4_page_table
#define WR  PGT_writable_page
#define SEG PGT_seg_desc_page
#define NONE PGT_none

#define RO  PTE_P
#define RW  (PTE_P | PTE_W)
#define GK  PTE_GUEST_KERNEL

static struct domain *da, *db;          /* the owner, the foreigner */
static u64 free_at_start;

static int setup(void **state)
{
    shim_machine(NR_FRAMES, LOW);
    shim_pv_reset(4);
    free_at_start = frames_free_count();
    da = shim_domain_new(1, 160);
    db = shim_domain_new(2, 16);
    da->dirty_cpus = db->dirty_cpus = 1;
    return 0;
}

static int teardown(void **state)
{
    if (da)
        shim_domain_destroy(da);
    if (db)
        shim_domain_destroy(db);
    da = db = NULL;
    shim_machine_free();
    return 0;
}

/* ---- the frame table, read and crafted ---- */

static u64 frame(void) { return shim_domain_frame(da); }
static u64 foreign_frame(void) { return shim_domain_frame(db); }
static struct page_info *pg(u64 m) { return &frame_table[m]; }
static u64 *tab(u64 m) { return mfn_to_virt(_mfn(m)); }
static u64 ent(u64 m, u64 flags) { return (m << PAGE_SHIFT) | flags; }
static u64 cnt(u64 m) { return pg(m)->count_info & PGC_count_mask; }
static u64 tcnt(u64 m) { return pg(m)->type_info & PGT_count_mask; }
static u64 ptype(u64 m) { return pg(m)->type_info & PGT_type_mask; }
static bool is_valid(u64 m) { return pg(m)->type_info & PGT_validated; }

static u64 level_type(unsigned int level) { return (u64)level << PGT_type_shift; }

/* General count, type and type count of frame m. */
#define assert_frame(m, c, t, tc) check_frame(__LINE__, #m, m, c, t, tc)
static void check_frame(int line, const char *name, u64 m, u64 c, u64 t, u64 tc)
{
    if (cnt(m) != c || ptype(m) != t || tcnt(m) != tc)
        fail_msg("line %d: frame %s (%llu): count %llu type %llu type count %llu, "
                 "want %llu %llu %llu", line, name, (unsigned long long)m,
                 (unsigned long long)cnt(m), (unsigned long long)(ptype(m) >> PGT_type_shift),
                 (unsigned long long)tcnt(m), (unsigned long long)c,
                 (unsigned long long)(t >> PGT_type_shift), (unsigned long long)tc);
}

/* A validated table of domain A held as MMUEXT_PIN_* holds it (pv/mmu.c). */
static int pin(u64 m, u64 type)
{
    int rc = get_page_and_type(pg(m), da, type);
    if (!rc)
        __atomic_fetch_or(&pg(m)->type_info, PGT_pinned, __ATOMIC_SEQ_CST);
    return rc;
}

static void unpin(u64 m)
{
    assert_true(pg(m)->type_info & PGT_pinned);
    __atomic_fetch_and(&pg(m)->type_info, ~PGT_pinned, __ATOMIC_SEQ_CST);
    put_page_and_type(pg(m));
}

static void audit(struct domain *d)
{
    char why[200];
    if (!mm_audit_domain(d, why, sizeof(why)))
        fail_msg("audit of domain %u: %s", d->domain_id, why);
}

static void audit_both(void)
{
    audit(da);
    audit(db);
}

/* The end of every scenario: consistent counts, and no frame leaked. */
static void finish(void)
{
    audit_both();
    struct domain *a = da, *b = db;
    da = db = NULL;
    assert_true(shim_domain_destroy(a));
    assert_true(shim_domain_destroy(b));
    assert_int_equal(frames_free_count(), free_at_start);
    assert_true(frames_check());
    assert_int_equal(shim_domain_released, 2);
}

/*
 * Snapshot of every frame's counts: after a refused operation every count,
 * type count, pin and linear count is as before, a table validated before
 * is untouched, and no page table became validated.  (A table validated
 * and released again on the way keeps its type with count zero, as any
 * table whose last type reference goes.)
 */
struct snap {
    u64 count_info, type_info;
    s16 linear;
};

static struct snap *snap_take(void)
{
    struct snap *s = calloc(frame_table_size, sizeof(*s));
    assert_non_null(s);
    for (u64 m = 0; m < frame_table_size; m++)
        s[m] = (struct snap){ pg(m)->count_info, pg(m)->type_info, pg(m)->linear_pt };
    return s;
}

#define snap_check(s) snap_check_at(__LINE__, s)
static void snap_check_at(int line, struct snap *s)
{
    const u64 keep = PGT_count_mask | PGT_pinned;
    for (u64 m = 0; m < frame_table_size; m++) {
        const struct page_info *p = pg(m);
        bool bad = p->count_info != s[m].count_info ||
                   (p->type_info & keep) != (s[m].type_info & keep) ||
                   p->linear_pt != s[m].linear;
        if (s[m].type_info & PGT_validated)
            bad |= p->type_info != s[m].type_info;
        else if (pgt_is_pagetable(p->type_info & PGT_type_mask))
            bad |= (p->type_info & PGT_validated) != 0;
        if (bad) {
            struct snap was = s[m];
            free(s);
            fail_msg("line %d: frame %llu changed: count %#llx -> %#llx, type %#llx -> %#llx, "
                     "linear %d -> %d", line, (unsigned long long)m,
                     (unsigned long long)was.count_info, (unsigned long long)p->count_info,
                     (unsigned long long)was.type_info, (unsigned long long)p->type_info,
                     was.linear, p->linear_pt);
        }
    }
    free(s);
}

/* ---- general references ---- */

static void test_general_references(void **state)
{
    u64 a = frame(), x = foreign_frame();
    u64 hv = mfn_x(frames_alloc(0));

    assert_ptr_equal(get_page_from_mfn(a, da), pg(a));
    assert_int_equal(cnt(a), 2);
    assert_true(pg(a)->count_info & PGC_allocated);
    put_page(pg(a));
    assert_int_equal(cnt(a), 1);

    /* A foreign, hypervisor, free or reserved frame, or no frame at all:
     * refused, and the reference tried is given back. */
    assert_null(get_page_from_mfn(x, da));
    assert_int_equal(cnt(x), 1);
    assert_null(get_page_from_mfn(hv, da));
    assert_int_equal(cnt(hv), 0);
    assert_int_equal(pg(hv)->state, PGS_HV);
    assert_null(get_page_from_mfn(1, da));              /* reserved */
    assert_null(get_page_from_mfn(BEYOND_RAM, da));
    assert_null(get_page_from_mfn(NR_FRAMES, da));      /* one past the end */
    assert_false(get_page(pg(a), NULL));
    assert_int_equal(cnt(a), 1);
    assert_ptr_equal(get_page_from_mfn(x, db), pg(x));
    put_page(pg(x));

    /* Saturated: refused, unchanged. */
    pg(a)->count_info = PGC_allocated | PGC_count_mask;
    assert_false(get_page(pg(a), da));
    assert_int_equal(pg(a)->count_info, PGC_allocated | PGC_count_mask);
    pg(a)->count_info = PGC_allocated | 1;

    frames_free(_mfn(hv), 0);
    finish();
}

static void test_last_reference_frees_frame(void **state)
{
    u64 a = frame(), l1 = frame();
    tab(l1)[0] = ent(a, RW);
    assert_int_equal(pin(l1, L1), 0);
    u64 free_before = frames_free_count(), pages = da->tot_pages;

    /* The domain lets go of a (its allocation reference) while a mapping
     * still holds it: nothing is freed yet. */
    __atomic_fetch_and(&pg(a)->count_info, ~PGC_allocated, __ATOMIC_SEQ_CST);
    put_page(pg(a));
    assert_frame(a, 1, WR, 1);
    assert_int_equal(pg(a)->state, PGS_DOMAIN);
    assert_int_equal(frames_free_count(), free_before);
    audit(da);

    /* The mapping goes: the frame leaves the domain for the allocator. */
    assert_int_equal(mod_l1_entry(da, &tab(l1)[0], 0, false), 0);
    assert_int_equal(pg(a)->state, PGS_FREE);
    assert_int_equal(pg(a)->type_info, 0);
    assert_int_equal(frames_free_count(), free_before + 1);
    assert_int_equal(da->tot_pages, pages - 1);
    assert_int_equal(shim_domain_maybe_destroyed, 1);
    assert_int_equal(shim_domain_released, 0);
    audit(da);

    unpin(l1);
    finish();
}

/* ---- L1 validation ---- */

static void test_l1_maps_own_frames(void **state)
{
    u64 a = frame(), b = frame(), l1 = frame();
    u64 *t = tab(l1);
    u64 garbage = ent(BEYOND_RAM, PTE_W | PTE_PCD | PTE_PS);   /* not present */
    t[0] = ent(a, RO);
    t[1] = ent(b, RW);
    t[2] = ent(a, RO | PTE_A | PTE_D);      /* a second mapping of a */
    t[3] = ent(l1, RO);                     /* the table itself, read-only */
    t[4] = garbage;
    t[5] = ent(da->shared_info_mfn, RW);    /* the domain's shared_info */
    t[511] = ent(b, RW | PTE_U);

    assert_int_equal(pin(l1, L1), 0);
    assert_true(is_valid(l1));
    assert_frame(l1, 3, L1, 1);             /* allocation, pin, its own mapping */
    assert_frame(a, 3, NONE, 0);            /* read-only mappings take no type */
    assert_frame(b, 3, WR, 2);
    assert_frame(da->shared_info_mfn, 2, WR, 1);
    assert_int_equal(t[4], garbage);        /* a non-present entry is not looked at */
    audit_both();

    unpin(l1);
    assert_false(is_valid(l1));
    assert_frame(l1, 1, L1, 0);             /* keeps its type, loses its references */
    assert_frame(a, 1, NONE, 0);
    assert_frame(b, 1, WR, 0);
    assert_frame(da->shared_info_mfn, 1, WR, 0);
    finish();
}

static void test_l1_refuses_foreign_and_missing_frames(void **state)
{
    u64 a = frame(), x = foreign_frame(), l1 = frame();
    u64 hv = mfn_x(frames_alloc(0));
    u64 free_frame = 0;
    for (u64 m = NR_FRAMES - 1; m > 0 && !free_frame; m--)
        if (pg(m)->state == PGS_FREE)
            free_frame = m;
    assert_int_not_equal(free_frame, 0);

    const struct { u64 e; int rc; } cases[] = {
        { ent(x, RO), -EBUSY },                     /* the foreigner's */
        { ent(x, RW), -EBUSY },
        { ent(db->shared_info_mfn, RO), -EBUSY },
        { ent(hv, RO), -EBUSY },                    /* the hypervisor's */
        { ent(free_frame, RO), -EBUSY },            /* nobody's */
        { ent(1, RO), -EBUSY },                     /* reserved */
        { ent(NR_FRAMES, RO), -EPERM },             /* beyond RAM */
        { ent(BEYOND_RAM, RW), -EPERM },
        { PTE_ADDR | RO, -EPERM },
    };
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tab(l1)[0] = ent(a, RW);
        tab(l1)[1] = cases[i].e;
        struct snap *s = snap_take();
        assert_int_equal(pin(l1, L1), cases[i].rc);
        snap_check(s);
        assert_int_equal(pg(l1)->type_info, NONE);
        assert_int_equal(pg(hv)->state, PGS_HV);
        assert_int_equal(pg(free_frame)->state, PGS_FREE);
    }
    tab(l1)[1] = 0;
    frames_free(_mfn(hv), 0);
    finish();
}

static void test_l1_flag_rules(void **state)
{
    u64 a = frame(), l1 = frame();
    const struct { u64 flags; int rc; } cases[] = {
        { PTE_PWT, -EINVAL },
        { PTE_PCD, -EINVAL },
        { PTE_PS, -EINVAL },                /* PAT at L1 */
        { PTE_PWT | PTE_W, -EINVAL },
        { PTE_G, 0 },
        { PTE_A | PTE_D, 0 },
        { PTE_U, 0 },
        { 7ull << 9, 0 },                   /* available to software */
        { 0x7ffull << 52, 0 },
        { PTE_NX, 0 },                      /* the shim's CPU has NX */
    };
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tab(l1)[7] = ent(a, RO | cases[i].flags);
        struct snap *s = snap_take();
        int rc = pin(l1, L1);
        if (rc != cases[i].rc)
            fail_msg("flags %#llx: %d, want %d", (unsigned long long)cases[i].flags, rc, cases[i].rc);
        if (rc) {
            snap_check(s);
            continue;
        }
        free(s);
        assert_frame(a, 2, NONE, 0);
        /* Every flag the guest set is kept. */
        assert_int_equal(tab(l1)[7] & cases[i].flags, cases[i].flags);
        assert_int_equal(tab(l1)[7] & PTE_ADDR, ent(a, 0));
        unpin(l1);
    }

    /* NX without the CPU's support is a reserved bit: refused. */
    pte_nx_mask = 0;
    tab(l1)[7] = ent(a, RO | PTE_NX);
    assert_int_equal(pin(l1, L1), -EINVAL);
    assert_int_equal(cnt(a), 1);
    pte_nx_mask = PTE_NX;
    tab(l1)[7] = 0;
    finish();
}

static void test_l1_writable_mapping_needs_writable_type(void **state)
{
    u64 pt = frame(), desc = frame(), l1 = frame();
    assert_int_equal(pin(pt, L1), 0);       /* an empty, validated L1 */

    /* A page table may be mapped read-only, never writable. */
    tab(l1)[0] = ent(pt, RW);
    struct snap *s = snap_take();
    assert_int_equal(pin(l1, L1), -EBUSY);
    snap_check(s);
    tab(l1)[0] = ent(pt, RO);
    assert_int_equal(pin(l1, L1), 0);
    assert_frame(pt, 3, L1, 1);
    unpin(l1);

    /* So is a descriptor page. */
    assert_int_equal(get_page_and_type(pg(desc), da, SEG), 0);
    tab(l1)[0] = ent(desc, RW);
    assert_int_equal(pin(l1, L1), -EBUSY);
    assert_frame(desc, 2, SEG, 1);
    tab(l1)[0] = ent(desc, RO);
    assert_int_equal(pin(l1, L1), 0);
    unpin(l1);

    /* The table being validated maps itself writable: refused. */
    tab(l1)[0] = ent(l1, RW);
    assert_int_equal(pin(l1, L1), -EBUSY);
    assert_frame(l1, 1, NONE, 0);

    /* Once the descriptor page's last type reference goes, it may. */
    put_page_and_type(pg(desc));
    tab(l1)[0] = ent(desc, RW);
    assert_int_equal(pin(l1, L1), 0);
    assert_frame(desc, 2, WR, 1);
    audit(da);
    unpin(l1);
    unpin(pt);
    finish();
}

static void test_l1_failure_unwinds(void **state)
{
    u64 a = frame(), b = frame(), c = frame(), pt = frame(), x = foreign_frame();
    u64 l1 = frame();
    assert_int_equal(pin(pt, L1), 0);
    const struct { u64 bad; int rc; } cases[] = {
        { ent(x, RO), -EBUSY },
        { ent(BEYOND_RAM, RO), -EPERM },
        { ent(a, RO | PTE_PCD), -EINVAL },
        { ent(pt, RW), -EBUSY },
    };
    const unsigned int at[] = { 0, 100, 511 };
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (unsigned int j = 0; j < 3; j++) {
            u64 *t = tab(l1);
            memset(t, 0, PAGE_SIZE);
            /* Good entries before (and after) the bad one: each frame
             * mapped many times, read-only and writable. */
            const u64 frames[] = { a, b, c, pt };
            for (unsigned int k = 0; k < PT_ENTRIES; k += 3)
                t[k] = ent(frames[k % 4], frames[k % 4] == pt || (k & 1) ? RO : RW);
            t[at[j]] = cases[i].bad;
            struct snap *s = snap_take();
            assert_int_equal(pin(l1, L1), cases[i].rc);
            snap_check(s);
            assert_int_equal(pg(l1)->type_info, NONE);
        }
    }
    /* Without the bad entry the same table validates. */
    tab(l1)[511] = 0;
    tab(l1)[0] = ent(a, RW);
    tab(l1)[100] = 0;
    assert_int_equal(pin(l1, L1), 0);
    audit(da);
    unpin(l1);
    unpin(pt);
    finish();
}

/* ---- L2-L4 validation ---- */

static void test_ln_flag_rules(void **state)
{
    const struct { u64 flags; int rc; } cases[] = {
        { PTE_PS, -EINVAL },
        { PTE_G, -EINVAL },
        { PTE_PWT, -EINVAL },
        { PTE_PCD, -EINVAL },
        { PTE_W, 0 },
        { PTE_A | PTE_D, 0 },
        { PTE_U, 0 },
        { 7ull << 9, 0 },
        { 0x7ffull << 52, 0 },
        { PTE_NX, 0 },
    };
    for (unsigned int level = 2; level <= 4; level++) {
        u64 parent = frame(), child = frame();
        for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            tab(parent)[3] = ent(child, RO | cases[i].flags);
            struct snap *s = snap_take();
            int rc = pin(parent, level_type(level));
            if (rc != cases[i].rc)
                fail_msg("L%u flags %#llx: %d, want %d", level,
                         (unsigned long long)cases[i].flags, rc, cases[i].rc);
            if (rc) {
                snap_check(s);
                continue;
            }
            free(s);
            assert_frame(child, 2, level_type(level - 1), 1);
            assert_true(is_valid(child));
            /* The user bit is forced, the guest's flags kept. */
            assert_int_equal(tab(parent)[3], ent(child, RO | PTE_U | cases[i].flags));
            audit(da);
            unpin(parent);
            assert_frame(child, 1, level_type(level - 1), 0);
            assert_false(is_valid(child));
        }
        pte_nx_mask = 0;
        tab(parent)[3] = ent(child, RO | PTE_NX);
        assert_int_equal(pin(parent, level_type(level)), -EINVAL);
        pte_nx_mask = PTE_NX;
        tab(parent)[3] = 0;
    }
    finish();
}

static void test_recursive_validation_counts(void **state)
{
    u64 d1 = frame(), d2 = frame();
    u64 l1a = frame(), l1b = frame(), l2 = frame(), l3 = frame(), l4 = frame();
    tab(l1a)[0] = ent(d1, RW);
    tab(l1a)[1] = ent(d2, RO);
    tab(l1a)[2] = ent(d1, RO);
    tab(l1b)[7] = ent(d2, RW);
    tab(l2)[0] = ent(l1a, RW);
    tab(l2)[1] = ent(l1b, RO);
    tab(l2)[2] = ent(l1a, RO);              /* l1a twice */
    tab(l3)[5] = ent(l2, RW);
    tab(l4)[0] = ent(l3, RW);
    tab(l4)[511] = ent(l3, RO);             /* l3 twice; 511 is a guest slot */

    assert_int_equal(pin(l4, L4), 0);
    assert_frame(l4, 2, L4, 1);
    assert_frame(l3, 3, L3, 2);
    assert_frame(l2, 2, L2, 1);             /* l3 was validated once */
    assert_frame(l1a, 3, L1, 2);
    assert_frame(l1b, 2, L1, 1);
    assert_frame(d1, 3, WR, 1);
    assert_frame(d2, 3, WR, 1);
    const u64 tables[] = { l4, l3, l2, l1a, l1b };
    for (unsigned int i = 0; i < 5; i++) {
        assert_true(is_valid(tables[i]));
        assert_int_equal(pg(tables[i])->linear_pt, 0);
    }
    assert_int_equal(tab(l4)[0], ent(l3, RW | PTE_U));
    assert_int_equal(tab(l4)[511], ent(l3, RO | PTE_U));
    assert_int_equal(tab(l3)[5], ent(l2, RW | PTE_U));
    assert_int_equal(tab(l2)[1], ent(l1b, RO | PTE_U));
    audit_both();

    /* The last type reference of the L4 goes: the whole tree is released. */
    unpin(l4);
    for (unsigned int i = 0; i < 5; i++) {
        assert_false(is_valid(tables[i]));
        assert_int_equal(cnt(tables[i]), 1);
        assert_int_equal(tcnt(tables[i]), 0);
    }
    assert_int_equal(ptype(l3), L3);
    assert_frame(d1, 1, WR, 0);
    assert_frame(d2, 1, WR, 0);
    audit_both();

    /* And it validates again. */
    assert_int_equal(pin(l4, L4), 0);
    assert_frame(l3, 3, L3, 2);
    assert_frame(d2, 3, WR, 1);
    audit_both();
    unpin(l4);
    finish();
}

/* A tree where l4[0] leads to a good subtree and l4[1] to a bad L1 entry
 * four levels down; the bad path shares the good L2. */
struct tree {
    u64 l4, l3g, l2g, l1g, l3b, l2b, l1b;
};

static struct tree make_tree(void)
{
    struct tree t = { frame(), frame(), frame(), frame(), frame(), frame(), frame() };
    u64 a = frame(), b = frame();
    tab(t.l1g)[0] = ent(a, RW);
    tab(t.l1g)[1] = ent(b, RO);
    tab(t.l2g)[0] = ent(t.l1g, RW);
    tab(t.l3g)[0] = ent(t.l2g, RW);
    for (unsigned int i = 0; i < 10; i++)
        tab(t.l1b)[i] = ent(i & 1 ? a : b, i & 2 ? RW : RO);
    tab(t.l2b)[4] = ent(t.l1b, RW);
    tab(t.l2b)[5] = ent(t.l1g, RO);         /* the good L1 once more */
    tab(t.l3b)[0] = ent(t.l2g, RW);         /* the good L2 once more */
    tab(t.l3b)[1] = ent(t.l2b, RW);
    tab(t.l4)[0] = ent(t.l3g, RW);
    tab(t.l4)[1] = ent(t.l3b, RW);
    return t;
}

static void test_deep_failure_unwinds_and_passes_error_up(void **state)
{
    u64 x = foreign_frame(), pt = frame(), a = frame();
    assert_int_equal(pin(pt, L1), 0);
    struct tree t = make_tree();
    const struct { u64 bad; int rc; } cases[] = {
        { ent(x, RO), -EBUSY },             /* foreign frame */
        { ent(BEYOND_RAM, RO), -EPERM },    /* not RAM */
        { ent(a, RO | PTE_PWT), -EINVAL },  /* flags */
        { ent(pt, RW), -EBUSY },            /* a page table writable */
    };
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tab(t.l1b)[300] = cases[i].bad;
        struct snap *s = snap_take();
        assert_int_equal(pin(t.l4, L4), cases[i].rc);
        snap_check(s);
        /* The tables whose validation failed are no type at all. */
        assert_int_equal(pg(t.l4)->type_info, NONE);
        assert_int_equal(pg(t.l3b)->type_info, NONE);
        assert_int_equal(pg(t.l2b)->type_info, NONE);
        assert_int_equal(pg(t.l1b)->type_info, NONE);
        audit_both();

        /* The same error from the middle of the tree. */
        s = snap_take();
        assert_int_equal(pin(t.l3b, L3), cases[i].rc);
        snap_check(s);
    }

    /* Without the bad entry the tree validates, shared tables counted twice. */
    tab(t.l1b)[300] = 0;
    assert_int_equal(pin(t.l4, L4), 0);
    assert_frame(t.l2g, 3, L2, 2);
    assert_frame(t.l1g, 3, L1, 2);
    assert_frame(t.l1b, 2, L1, 1);
    audit_both();
    unpin(t.l4);
    unpin(pt);
    finish();
}

static void test_ln_entry_type_conflicts(void **state)
{
    u64 data = frame(), l1 = frame(), l2v = frame(), x = foreign_frame();
    u64 hv = mfn_x(frames_alloc(0));
    tab(l1)[0] = ent(data, RW);
    assert_int_equal(pin(l1, L1), 0);       /* data is writable now */
    assert_int_equal(pin(l2v, L2), 0);

    const struct { unsigned int level; u64 e; } cases[] = {
        { 2, ent(data, RO) },               /* a writable page is no L1 */
        { 3, ent(l1, RO) },                 /* an L1 is no L2 */
        { 4, ent(l2v, RO) },                /* an L2 is no L3, nor a linear L4 */
        { 2, ent(x, RO) },                  /* the foreigner's */
        { 3, ent(x, RW) },
        { 2, ent(hv, RO) },
        { 2, ent(1, RO) },
        { 2, ent(BEYOND_RAM, RO) },
        { 4, ent(NR_FRAMES, RW) },
    };
    u64 t = frame();
    for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(tab(t), 0, PAGE_SIZE);
        tab(t)[2] = cases[i].e;
        struct snap *s = snap_take();
        int rc = pin(t, level_type(cases[i].level));
        if (rc != -EINVAL)
            fail_msg("case %u: %d, want -EINVAL", i, rc);
        snap_check(s);
    }

    /* A table whose child maps it writable: refused while it validates
     * (-EBUSY from the L1); read-only it is fine. */
    u64 l2 = frame(), c1 = frame();
    tab(l2)[0] = ent(c1, RW);
    tab(c1)[0] = ent(l2, RW);
    struct snap *s = snap_take();
    assert_int_equal(pin(l2, L2), -EBUSY);
    snap_check(s);
    tab(c1)[0] = ent(l2, RO);
    assert_int_equal(pin(l2, L2), 0);
    assert_frame(l2, 3, L2, 1);
    audit(da);
    unpin(l2);

    /* One frame as an L2 and, under the same L3, as an L1: a conflict when
     * writable; read-only it is a linear entry of the second L2. */
    u64 l3 = frame(), y = frame(), z = frame();
    tab(l3)[0] = ent(y, RW);
    tab(l3)[1] = ent(z, RW);
    tab(z)[0] = ent(y, RW);
    s = snap_take();
    assert_int_equal(pin(l3, L3), -EINVAL);
    snap_check(s);
    tab(z)[0] = ent(y, RO);
    assert_int_equal(pin(l3, L3), 0);
    assert_frame(y, 3, L2, 2);
    assert_int_equal(pg(y)->linear_pt, -1);
    assert_int_equal(pg(z)->linear_pt, 1);
    audit(da);
    unpin(l3);
    assert_int_equal(pg(y)->linear_pt, 0);
    assert_int_equal(pg(z)->linear_pt, 0);

    unpin(l1);
    unpin(l2v);
    frames_free(_mfn(hv), 0);
    finish();
}

/* ---- types change only at type count zero ---- */

static void test_type_changes_only_at_count_zero(void **state)
{
    u64 a = frame(), l1 = frame();
    u64 *pe = &tab(l1)[0];
    *pe = ent(a, RW);
    assert_int_equal(pin(l1, L1), 0);
    assert_frame(a, 2, WR, 1);

    assert_int_equal(get_page_and_type(pg(a), da, L1), -EINVAL);
    assert_int_equal(get_page_and_type(pg(a), da, SEG), -EINVAL);
    assert_frame(a, 2, WR, 1);

    /* The writable mapping goes: a may become a page table. */
    assert_int_equal(mod_l1_entry(da, pe, 0, false), 0);
    assert_frame(a, 1, WR, 0);
    assert_int_equal(pin(a, L1), 0);
    assert_frame(a, 2, L1, 1);
    assert_true(is_valid(a));

    /* Now it cannot be mapped writable, only read-only. */
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RW), false), -EBUSY);
    assert_int_equal(*pe, 0);
    assert_int_equal(get_page_type(pg(a), WR), -EINVAL);
    assert_int_equal(get_page_type(pg(a), L2), -EINVAL);
    assert_frame(a, 2, L1, 1);
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RO), false), 0);
    assert_frame(a, 3, L1, 1);
    audit(da);
    assert_int_equal(mod_l1_entry(da, pe, 0, false), 0);

    /* Its last type reference goes: writable again. */
    unpin(a);
    assert_frame(a, 1, L1, 0);
    assert_false(is_valid(a));
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RW), false), 0);
    assert_frame(a, 2, WR, 1);
    audit(da);
    unpin(l1);
    finish();
}

static void test_last_type_reference_devalidates(void **state)
{
    u64 d1 = frame(), d2 = frame(), l1a = frame(), l1b = frame(), l2 = frame();
    tab(l1a)[0] = ent(d1, RW);
    tab(l1b)[0] = ent(d2, RW);
    tab(l1b)[1] = ent(d1, RO);
    tab(l2)[0] = ent(l1a, RW);
    tab(l2)[1] = ent(l1b, RW);
    assert_int_equal(pin(l2, L2), 0);
    assert_int_equal(pin(l1b, L1), 0);
    assert_frame(l1b, 3, L1, 2);
    assert_frame(d1, 3, WR, 1);
    audit(da);

    /* The L2 goes: l1a with it, l1b (still pinned) stays. */
    unpin(l2);
    assert_false(is_valid(l2));
    assert_frame(l2, 1, L2, 0);
    assert_false(is_valid(l1a));
    assert_frame(l1a, 1, L1, 0);
    assert_true(is_valid(l1b));
    assert_frame(l1b, 2, L1, 1);
    assert_frame(d1, 2, WR, 0);             /* l1b's read-only mapping remains */
    assert_frame(d2, 2, WR, 1);
    audit(da);

    unpin(l1b);
    assert_frame(d1, 1, WR, 0);
    assert_frame(d2, 1, WR, 0);
    finish();
}

/* ---- linear page tables ---- */

static void test_linear_self_reference(void **state)
{
    for (unsigned int level = 2; level <= 4; level++) {
        u64 t = frame(), child = frame();
        tab(t)[0] = ent(child, RW);
        tab(t)[9] = ent(t, RO);
        assert_int_equal(pin(t, level_type(level)), 0);
        assert_frame(t, 2, level_type(level), 1);       /* the entry holds nothing */
        assert_int_equal(pg(t)->linear_pt, 0);
        assert_int_equal(tab(t)[9], ent(t, RO | PTE_U));
        assert_frame(child, 2, level_type(level - 1), 1);
        audit(da);
        unpin(t);
        assert_frame(t, 1, level_type(level), 0);
        assert_frame(child, 1, level_type(level - 1), 0);

        /* Writable, it would let the guest write its own table. */
        tab(t)[9] = ent(t, RW);
        struct snap *s = snap_take();
        assert_int_equal(pin(t, level_type(level)), -EINVAL);
        snap_check(s);
    }
    finish();
}

static void test_linear_reference_to_other_table(void **state)
{
    for (unsigned int level = 2; level <= 4; level += 2) {
        u64 type = level_type(level);
        u64 a = frame(), b = frame(), c = frame();
        assert_int_equal(pin(a, type), 0);
        tab(b)[3] = ent(a, RO);
        assert_int_equal(pin(b, type), 0);
        assert_frame(a, 3, type, 2);        /* a general and a type reference */
        assert_frame(b, 2, type, 1);
        assert_int_equal(pg(a)->linear_pt, -1);
        assert_int_equal(pg(b)->linear_pt, 1);
        audit(da);

        /* A second linear entry to the same table counts again. */
        assert_int_equal(mod_lN_entry(da, type, &tab(b)[4], 4, ent(a, RO | PTE_A)), 0);
        assert_frame(a, 4, type, 3);
        assert_int_equal(pg(a)->linear_pt, -2);
        assert_int_equal(pg(b)->linear_pt, 2);
        audit(da);

        /* The target stays validated while the linear entries hold it. */
        unpin(a);
        assert_true(is_valid(a));
        assert_frame(a, 3, type, 2);
        audit(da);
        unpin(b);
        assert_false(is_valid(a));
        assert_frame(a, 1, type, 0);
        assert_frame(b, 1, type, 0);
        assert_int_equal(pg(a)->linear_pt, 0);
        assert_int_equal(pg(b)->linear_pt, 0);

        /* An entry to a frame that is no table yet is an ordinary entry:
         * the frame becomes the next level down. */
        tab(c)[3] = ent(b, RO);
        memset(tab(b), 0, PAGE_SIZE);
        assert_int_equal(pin(c, type), 0);
        assert_frame(b, 2, level_type(level - 1), 1);
        assert_int_equal(pg(b)->linear_pt, 0);
        assert_int_equal(pg(c)->linear_pt, 0);
        audit(da);
        unpin(c);
    }
    finish();
}

static void test_linear_refusals(void **state)
{
    u64 a = frame(), b = frame(), c = frame(), e = frame(), l2 = frame(), x = foreign_frame();
    assert_int_equal(pin(a, L4), 0);
    assert_int_equal(pin(e, L4), 0);
    assert_int_equal(pin(l2, L2), 0);
    assert_int_equal(get_page_and_type(pg(x), db, L4), 0);
    __atomic_fetch_or(&pg(x)->type_info, PGT_pinned, __ATOMIC_SEQ_CST);

    const u64 refused[] = {
        ent(a, RW),                         /* writable */
        ent(x, RO),                         /* the foreigner's L4 */
        ent(l2, RO),                        /* another level */
    };
    for (unsigned int i = 0; i < 3; i++) {
        tab(b)[1] = refused[i];
        struct snap *s = snap_take();
        assert_int_equal(pin(b, L4), -EINVAL);
        snap_check(s);
    }

    /* b -> a is fine; then no chain: nothing may point at b (it has linear
     * entries), a (a target) may not get linear entries of its own. */
    tab(b)[1] = ent(a, RO);
    assert_int_equal(pin(b, L4), 0);
    tab(c)[1] = ent(b, RO);
    struct snap *s = snap_take();
    assert_int_equal(pin(c, L4), -EINVAL);
    snap_check(s);
    s = snap_take();
    assert_int_equal(mod_lN_entry(da, L4, &tab(a)[2], 2, ent(e, RO)), -EINVAL);
    assert_int_equal(tab(a)[2], 0);
    snap_check(s);
    /* A self-reference is no chain: a may have one. */
    assert_int_equal(mod_lN_entry(da, L4, &tab(a)[2], 2, ent(a, RO)), 0);
    assert_int_equal(pg(a)->linear_pt, -1);
    /* Another table may use a too. */
    tab(c)[1] = ent(a, RO);
    assert_int_equal(pin(c, L4), 0);
    assert_int_equal(pg(a)->linear_pt, -2);
    assert_int_equal(pg(c)->linear_pt, 1);
    audit_both();

    /* A target whose type count is saturated: refused, nothing taken. */
    u64 saved = pg(e)->type_info;
    pg(e)->type_info = (saved & ~PGT_count_mask) | PGT_count_mask;
    s = snap_take();
    assert_int_equal(mod_lN_entry(da, L4, &tab(c)[5], 5, ent(e, RO)), -EINVAL);
    snap_check(s);
    pg(e)->type_info = saved;

    unpin(c);
    unpin(b);
    unpin(a);
    unpin(e);
    unpin(l2);
    __atomic_fetch_and(&pg(x)->type_info, ~PGT_pinned, __ATOMIC_SEQ_CST);
    put_page_and_type(pg(x));
    finish();
}

/* ---- the hypervisor's L4 slots ---- */

static void test_l4_hypervisor_slots(void **state)
{
    u64 own = frame(), x = foreign_frame(), l3 = frame(), l4 = frame();
    u64 *t = tab(l4);
    for (unsigned int s = HV_SLOT_FIRST; s <= HV_SLOT_LAST; s++) {
        const u64 garbage[] = {
            ent(own, RW),                   /* would take a reference */
            ent(x, RW),                     /* would be refused */
            ent(BEYOND_RAM, RO | PTE_PCD | PTE_PS),
            ent(l4, RW),
        };
        t[s] = garbage[s % 4];
    }
    t[HV_SLOT_FIRST - 1] = ent(l3, RW);     /* the guest's slots either side */
    t[HV_SLOT_LAST + 1] = ent(l3, RO);

    assert_int_equal(pin(l4, L4), 0);
    for (unsigned int s = HV_SLOT_FIRST; s <= HV_SLOT_LAST; s++)
        assert_int_equal(t[s], shim_l4_template_entry(s));
    assert_frame(own, 1, NONE, 0);
    assert_frame(x, 1, NONE, 0);
    assert_frame(l4, 2, L4, 1);
    assert_frame(l3, 3, L3, 2);
    audit_both();

    /* The guest cannot change them. */
    assert_int_equal(mod_lN_entry(da, L4, &t[HV_SLOT_FIRST], HV_SLOT_FIRST, ent(l3, RO)), -EINVAL);
    assert_int_equal(mod_lN_entry(da, L4, &t[HV_SLOT_LAST], HV_SLOT_LAST, 0), -EINVAL);
    assert_int_equal(t[HV_SLOT_FIRST], shim_l4_template_entry(HV_SLOT_FIRST));
    assert_int_equal(t[HV_SLOT_LAST], shim_l4_template_entry(HV_SLOT_LAST));
    assert_frame(l3, 3, L3, 2);
    assert_int_equal(mod_lN_entry(da, L4, &t[HV_SLOT_LAST + 1], HV_SLOT_LAST + 1, 0), 0);
    assert_frame(l3, 2, L3, 1);

    /* Devalidation leaves them alone too. */
    unpin(l4);
    assert_frame(l3, 1, L3, 0);
    assert_int_equal(t[HV_SLOT_FIRST + 3], shim_l4_template_entry(HV_SLOT_FIRST + 3));
    audit_both();

    /* Whatever the guest wrote there meanwhile, validation puts them back. */
    t[HV_SLOT_FIRST + 2] = ent(x, RW);
    assert_int_equal(pin(l4, L4), 0);
    assert_int_equal(t[HV_SLOT_FIRST + 2], shim_l4_template_entry(HV_SLOT_FIRST + 2));
    unpin(l4);

    /* Only in an L4: at L3 the same slot numbers are the guest's. */
    u64 l3x = frame();
    tab(l3x)[HV_SLOT_FIRST] = ent(x, RW);
    struct snap *s = snap_take();
    assert_int_equal(pin(l3x, L3), -EINVAL);
    snap_check(s);
    finish();
}

/* ---- guest entry bits ---- */

static void test_adjust_guest_l1e(void **state)
{
    const u64 m = ent(42, 0);
    /* No user bit: a guest kernel mapping, user in hardware, not global. */
    assert_int_equal(adjust_guest_l1e(m | RO), m | RO | PTE_U | GK);
    assert_int_equal(adjust_guest_l1e(m | RW | PTE_NX), m | RW | PTE_NX | PTE_U | GK);
    /* A user mapping: global. */
    assert_int_equal(adjust_guest_l1e(m | RO | PTE_U), m | RO | PTE_U | PTE_G);
    assert_int_equal(adjust_guest_l1e(m | RW | PTE_U | PTE_G), m | RW | PTE_U | PTE_G);
    /* The guest-kernel mark set by the guest: kept, not global. */
    assert_int_equal(adjust_guest_l1e(m | RO | PTE_U | GK), m | RO | PTE_U | GK);
    /* Adjusting twice changes nothing more. */
    const u64 samples[] = { m | RO, m | RW | PTE_U, m | RO | GK, m | RW | PTE_U | PTE_G | PTE_A };
    for (unsigned int i = 0; i < 4; i++)
        assert_int_equal(adjust_guest_l1e(adjust_guest_l1e(samples[i])), adjust_guest_l1e(samples[i]));

    /* Validation applies it to every present L1 entry, and forces only the
     * user bit above L1. */
    u64 a = frame(), l1 = frame(), l2 = frame();
    tab(l1)[0] = ent(a, RO);
    tab(l1)[1] = ent(a, RW | PTE_U);
    tab(l1)[2] = ent(a, RO | PTE_NX);
    tab(l1)[3] = ent(a, 0);                 /* not present: as written */
    tab(l2)[0] = ent(l1, RW);
    assert_int_equal(pin(l2, L2), 0);
    assert_int_equal(tab(l1)[0], ent(a, RO | PTE_U | GK));
    assert_int_equal(tab(l1)[1], ent(a, RW | PTE_U | PTE_G));
    assert_int_equal(tab(l1)[2], ent(a, RO | PTE_NX | PTE_U | GK));
    assert_int_equal(tab(l1)[3], ent(a, 0));
    assert_int_equal(tab(l2)[0], ent(l1, RW | PTE_U));
    unpin(l2);
    finish();
}

/* ---- entry updates ---- */

static void test_mod_l1_entry(void **state)
{
    u64 a = frame(), b = frame(), pt = frame(), l1 = frame(), x = foreign_frame();
    u64 *pe = &tab(l1)[0];
    assert_int_equal(pin(pt, L1), 0);
    *pe = ent(a, RO);
    assert_int_equal(pin(l1, L1), 0);
    assert_frame(a, 2, NONE, 0);

    /* Same frame, same P and RW: only the flags change, no reference moves. */
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RO | PTE_A | PTE_D | (1ull << 9)), false), 0);
    assert_int_equal(*pe, ent(a, RO | PTE_A | PTE_D | (1ull << 9) | PTE_U | GK));
    assert_frame(a, 2, NONE, 0);

    /* RW changes: the same frame is referenced again, as writable. */
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RW | PTE_U), false), 0);
    assert_int_equal(*pe, ent(a, RW | PTE_U | PTE_G));
    assert_frame(a, 2, WR, 1);

    /* Another frame: the references move. */
    assert_int_equal(mod_l1_entry(da, pe, ent(b, RW | PTE_U), false), 0);
    assert_frame(a, 1, WR, 0);
    assert_frame(b, 2, WR, 1);
    audit(da);

    /* Refused: the entry and every count as they were. */
    const struct { u64 e; int rc; } refused[] = {
        { ent(x, RO), -EBUSY },
        { ent(BEYOND_RAM, RO), -EPERM },
        { ent(b, RW | PTE_U | PTE_PS), -EINVAL },   /* PAT, even on the fast path */
        { ent(b, RW | PTE_U | PTE_PCD), -EINVAL },
        { ent(pt, RW), -EBUSY },
        { ent(l1, RW), -EBUSY },
    };
    for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        u64 before = *pe;
        struct snap *s = snap_take();
        assert_int_equal(mod_l1_entry(da, pe, refused[i].e, false), refused[i].rc);
        snap_check(s);
        assert_int_equal(*pe, before);
    }

    /* preserve_ad keeps the A/D bits the CPU set meanwhile. */
    *pe |= PTE_A | PTE_D;
    assert_int_equal(mod_l1_entry(da, pe, ent(b, RW | PTE_U | PTE_NX), true), 0);
    assert_int_equal(*pe, ent(b, RW | PTE_U | PTE_NX | PTE_G | PTE_A | PTE_D));
    assert_int_equal(mod_l1_entry(da, pe, ent(b, RW | PTE_U), false), 0);
    assert_int_equal(*pe, ent(b, RW | PTE_U | PTE_G));
    assert_frame(b, 2, WR, 1);

    /* Not present: the old references go, the new entry is stored as is. */
    assert_int_equal(mod_l1_entry(da, pe, ent(BEYOND_RAM, PTE_PCD | PTE_W), false), 0);
    assert_int_equal(*pe, ent(BEYOND_RAM, PTE_PCD | PTE_W));
    assert_frame(b, 1, WR, 0);
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RO), false), 0);
    assert_frame(a, 2, WR, 0);
    audit(da);
    unpin(l1);
    unpin(pt);
    finish();
}

static void test_ptwr_update_l1(void **state)
{
    u64 a = frame(), b = frame(), l1 = frame(), x = foreign_frame();
    u64 *pe = &tab(l1)[0];
    *pe = ent(a, RO);
    assert_int_equal(pin(l1, L1), 0);
    u64 cur = *pe;

    /* The entry is not what the guest's instruction saw: -EAGAIN, and the
     * references the new entry took are given back. */
    struct snap *s = snap_take();
    assert_int_equal(ptwr_update_l1(da, pe, cur ^ PTE_A, ent(b, RW)), -EAGAIN);
    assert_int_equal(ptwr_update_l1(da, pe, cur ^ PTE_A, ent(a, RO | PTE_D)), -EAGAIN);
    assert_int_equal(ptwr_update_l1(da, pe, cur ^ PTE_A, 0), -EAGAIN);
    snap_check(s);
    assert_int_equal(*pe, cur);

    /* The CPU set A meanwhile: the old value no longer matches. */
    *pe |= PTE_A;
    assert_int_equal(ptwr_update_l1(da, pe, cur, ent(b, RW)), -EAGAIN);
    assert_frame(b, 1, WR, 0);              /* typed and released by the first try */
    cur = *pe;

    /* Matching: a reference move ... */
    assert_int_equal(ptwr_update_l1(da, pe, cur, ent(b, RW)), 0);
    assert_int_equal(*pe, ent(b, RW | PTE_U | GK));
    assert_frame(a, 1, NONE, 0);
    assert_frame(b, 2, WR, 1);
    /* ... a flag change ... */
    assert_int_equal(ptwr_update_l1(da, pe, *pe, ent(b, RW | PTE_U)), 0);
    assert_int_equal(*pe, ent(b, RW | PTE_U | PTE_G));
    assert_frame(b, 2, WR, 1);
    audit(da);

    /* ... refusals ... */
    const struct { u64 e; int rc; } refused[] = {
        { ent(b, RW | PTE_PCD), -EINVAL },
        { ent(x, RO), -EBUSY },
        { ent(BEYOND_RAM, RO), -EPERM },
        { ent(l1, RW), -EBUSY },
    };
    for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        cur = *pe;
        s = snap_take();
        assert_int_equal(ptwr_update_l1(da, pe, cur, refused[i].e), refused[i].rc);
        snap_check(s);
        assert_int_equal(*pe, cur);
    }

    /* ... and a removal. */
    assert_int_equal(ptwr_update_l1(da, pe, *pe, 0), 0);
    assert_int_equal(*pe, 0);
    assert_frame(b, 1, WR, 0);
    assert_int_equal(ptwr_update_l1(da, pe, 0, ent(a, 0)), 0);
    assert_frame(a, 1, NONE, 0);
    audit(da);
    unpin(l1);
    finish();
}

static void test_mod_ln_entry(void **state)
{
    u64 l4 = frame(), l3a = frame(), l3b = frame(), l2 = frame(), l1 = frame(), d = frame();
    u64 x = foreign_frame(), pt = frame();
    assert_int_equal(pin(pt, L1), 0);
    u64 *pe = &tab(l4)[0];
    tab(l1)[0] = ent(d, RW);
    tab(l2)[0] = ent(l1, RW);
    tab(l3b)[0] = ent(l2, RW);
    assert_int_equal(pin(l4, L4), 0);

    /* A new entry: the lower table is validated and referenced. */
    assert_int_equal(mod_lN_entry(da, L4, pe, 0, ent(l3a, RW)), 0);
    assert_int_equal(*pe, ent(l3a, RW | PTE_U));
    assert_frame(l3a, 2, L3, 1);
    assert_true(is_valid(l3a));

    /* Same target and RW: the flags change, no reference moves. */
    assert_int_equal(mod_lN_entry(da, L4, pe, 0, ent(l3a, RW | PTE_A | (1ull << 10))), 0);
    assert_int_equal(*pe, ent(l3a, RW | PTE_A | (1ull << 10) | PTE_U));
    assert_frame(l3a, 2, L3, 1);
    /* RW changes: referenced anew, the old reference dropped. */
    assert_int_equal(mod_lN_entry(da, L4, pe, 0, ent(l3a, RO)), 0);
    assert_int_equal(*pe, ent(l3a, RO | PTE_U));
    assert_frame(l3a, 2, L3, 1);
    audit(da);

    /* Refused: the entry and every count as they were. */
    u64 l3c = frame(), l2c = frame(), l1c = frame();
    tab(l1c)[1] = ent(x, RO);
    tab(l2c)[0] = ent(l1c, RW);
    tab(l3c)[0] = ent(l2c, RW);
    const struct { u64 e; int rc; } refused[] = {
        { ent(l3a, RO | PTE_G), -EINVAL },  /* bad flags, even on the fast path */
        { ent(l3a, RO | PTE_PS), -EINVAL },
        { ent(x, RW), -EINVAL },
        { ent(pt, RW), -EINVAL },           /* an L1 is no L3 */
        { ent(BEYOND_RAM, RW), -EINVAL },
        { ent(l3c, RW), -EBUSY },           /* deep in the new subtree */
    };
    for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        u64 before = *pe;
        struct snap *s = snap_take();
        int rc = mod_lN_entry(da, L4, pe, 0, refused[i].e);
        if (rc != refused[i].rc)
            fail_msg("case %u: %d, want %d", i, rc, refused[i].rc);
        snap_check(s);
        assert_int_equal(*pe, before);
    }

    /* Another target: the old subtree is released, the new one validated. */
    assert_int_equal(mod_lN_entry(da, L4, pe, 0, ent(l3b, RW)), 0);
    assert_frame(l3a, 1, L3, 0);
    assert_false(is_valid(l3a));
    assert_frame(l3b, 2, L3, 1);
    assert_frame(l2, 2, L2, 1);
    assert_frame(l1, 2, L1, 1);
    assert_frame(d, 2, WR, 1);
    audit(da);

    /* At L2 too. */
    assert_int_equal(mod_lN_entry(da, L2, &tab(l2)[7], 7, ent(l1, RO)), 0);
    assert_frame(l1, 3, L1, 2);
    assert_int_equal(mod_lN_entry(da, L2, &tab(l2)[7], 7, ent(d, RO)), -EINVAL);
    assert_int_equal(mod_lN_entry(da, L2, &tab(l2)[7], 7, 0), 0);
    assert_frame(l1, 2, L1, 1);

    /* Not present: the whole subtree goes. */
    assert_int_equal(mod_lN_entry(da, L4, pe, 0, ent(l3a, PTE_W)), 0);
    assert_int_equal(*pe, ent(l3a, PTE_W));
    assert_frame(l3a, 1, L3, 0);
    assert_frame(l3b, 1, L3, 0);
    assert_frame(l2, 1, L2, 0);
    assert_frame(l1, 1, L1, 0);
    assert_frame(d, 1, WR, 0);
    audit(da);
    unpin(l4);
    unpin(pt);
    finish();
}

/* ---- counts at their limits ---- */

static void test_count_saturation(void **state)
{
    u64 a = frame(), l1 = frame(), pt = frame();
    tab(l1)[0] = ent(a, RO);

    /* General count saturated: no mapping. */
    pg(a)->count_info = PGC_allocated | PGC_count_mask;
    assert_int_equal(pin(l1, L1), -EBUSY);
    assert_int_equal(pg(a)->count_info, PGC_allocated | PGC_count_mask);
    pg(a)->count_info = PGC_allocated | 1;

    /* Writable type count saturated: no writable mapping, the general
     * reference given back. */
    pg(a)->type_info = WR | PGT_validated | PGT_count_mask;
    tab(l1)[0] = ent(a, RW);
    assert_int_equal(pin(l1, L1), -EBUSY);
    assert_int_equal(cnt(a), 1);
    assert_int_equal(pg(a)->type_info, WR | PGT_validated | PGT_count_mask);
    pg(a)->type_info = 0;

    /* A validated table's type count saturated: no further reference. */
    assert_int_equal(pin(pt, L1), 0);
    u64 saved = pg(pt)->type_info;
    pg(pt)->type_info = (saved & ~PGT_count_mask) | PGT_count_mask;
    assert_int_equal(get_page_type(pg(pt), L1), -EINVAL);
    assert_int_equal(pg(pt)->type_info & PGT_count_mask, PGT_count_mask);
    pg(pt)->type_info = saved;

    tab(l1)[0] = ent(a, RW);
    assert_int_equal(pin(l1, L1), 0);
    audit(da);
    unpin(l1);
    unpin(pt);
    finish();
}

/* ---- descriptor pages ---- */

static void test_seg_desc_type(void **state)
{
    u64 desc = frame();
    assert_int_equal(get_page_and_type(pg(desc), da, SEG), 0);
    assert_int_equal(shim_seg_desc_calls, 1);
    assert_frame(desc, 2, SEG, 1);
    assert_int_equal(get_page_and_type(pg(desc), da, SEG), 0);
    assert_int_equal(shim_seg_desc_calls, 1);       /* validated once */
    assert_frame(desc, 3, SEG, 2);
    put_page_and_type(pg(desc));
    put_page_and_type(pg(desc));
    assert_frame(desc, 1, SEG, 0);

    /* Nothing can have written it since (that needs the writable type):
     * taken again without validation. */
    assert_int_equal(get_page_and_type(pg(desc), da, SEG), 0);
    assert_int_equal(shim_seg_desc_calls, 1);
    put_page_and_type(pg(desc));

    /* After another type it is validated again, and its refusal is the
     * answer, the frame left with no type. */
    assert_int_equal(get_page_and_type(pg(desc), da, WR), 0);
    put_page_and_type(pg(desc));
    shim_seg_desc_rc = -EINVAL;
    assert_int_equal(get_page_and_type(pg(desc), da, SEG), -EINVAL);
    assert_int_equal(shim_seg_desc_calls, 2);
    assert_frame(desc, 1, NONE, 0);
    shim_seg_desc_rc = 0;
    finish();
}

/* ---- TLB flush stamps ---- */

static void test_flush_tlb_mask_and_domain_flush(void **state)
{
    u64 before[4];
    for (unsigned int c = 0; c < 4; c++)
        before[c] = shim_cpu_stamp(c);

    /* Running on CPU 1: it flushes itself, the others get an IPI. */
    shim_cpu_switch(1);
    da->dirty_cpus = 0xb;                   /* CPUs 0, 1, 3 */
    domain_flush_tlb(da);
    assert_int_equal(shim_flush_log.flushed, 0xb);
    assert_int_equal(shim_flush_log.ipis, 0x9);
    assert_int_equal(shim_flush_log.flushes, 3);
    assert_true(shim_cpu_stamp(0) > before[0]);
    assert_true(shim_cpu_stamp(1) > before[1]);
    assert_int_equal(shim_cpu_stamp(2), before[2]);
    assert_true(shim_cpu_stamp(3) > before[3]);

    /* A CPU that does not exist is skipped. */
    shim_flush_log_clear();
    flush_tlb_mask(0x44);                   /* CPU 2, and 6 which is not there */
    assert_int_equal(shim_flush_log.flushed, 0x4);
    assert_int_equal(shim_flush_log.ipis, 0x4);
    shim_cpu_switch(0);
    finish();
}

static void test_flush_stale(void **state)
{
    u64 a = frame(), l1 = frame();
    u64 *pe = &tab(l1)[0];
    da->dirty_cpus = 0xf;
    for (unsigned int c = 0; c < 4; c++)
        shim_cpu_flush(c);

    /* A fresh frame has no stale translation: no flush to take a type. */
    *pe = ent(a, RW);
    shim_flush_log_clear();
    assert_int_equal(pin(l1, L1), 0);
    assert_int_equal(shim_flush_log.flushes, 0);

    /* CPU 2 flushes, then the writable mapping goes (a's type count drops
     * to zero at stamp S), then CPU 1 flushes. */
    shim_cpu_flush(2);
    assert_int_equal(mod_l1_entry(da, pe, 0, false), 0);
    u64 stamp = pg(a)->tlbflush_stamp;
    assert_true(stamp > shim_cpu_stamp(2));
    shim_cpu_flush(1);
    assert_true(shim_cpu_stamp(1) > stamp);

    /* Writable again: same type, nothing to flush. */
    shim_flush_log_clear();
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RW), false), 0);
    assert_int_equal(shim_flush_log.flushes, 0);
    assert_int_equal(mod_l1_entry(da, pe, 0, false), 0);
    stamp = pg(a)->tlbflush_stamp;
    shim_cpu_flush(1);

    /* a becomes a page table: only the CPUs whose last flush is not later
     * than S flush (0 here, 2 and 3 by IPI); CPU 1 flushed since. */
    shim_flush_log_clear();
    assert_int_equal(get_page_and_type(pg(a), da, L1), 0);
    assert_int_equal(shim_flush_log.flushed, 0xd);
    assert_int_equal(shim_flush_log.ipis, 0xc);
    assert_int_equal(pg(a)->tlbflush_stamp, 0);
    for (unsigned int c = 0; c < 4; c++)
        assert_true(shim_cpu_stamp(c) > stamp);
    put_page_and_type(pg(a));

    /* Only CPUs that ran the domain, and only CPUs that exist. */
    da->dirty_cpus = 0x44;
    shim_flush_log_clear();
    assert_int_equal(mod_l1_entry(da, pe, ent(a, RW), false), 0);
    assert_int_equal(shim_flush_log.flushed, 0x4);
    assert_int_equal(shim_flush_log.ipis, 0x4);
    assert_int_equal(pg(a)->tlbflush_stamp, 0);
    assert_int_equal(mod_l1_entry(da, pe, 0, false), 0);
    audit(da);
    unpin(l1);
    finish();
}

/* ---- the audit itself sees wrong counts ---- */

static void test_audit_detects_wrong_counts(void **state)
{
    u64 a = frame(), b = frame(), l1 = frame(), l2 = frame(), l2b = frame();
    char why[200];
    tab(l1)[0] = ent(a, RW);
    tab(l2)[0] = ent(l1, RW);
    tab(l2b)[0] = ent(l2, RO);
    assert_int_equal(pin(l2, L2), 0);
    assert_int_equal(pin(l2b, L2), 0);
    audit_both();

    struct { u64 *field; u64 delta; } bumps[] = {
        { &pg(a)->count_info, 1 },
        { &pg(b)->count_info, 1 },
        { &pg(l1)->type_info, 1 },
        { &pg(a)->type_info, (u64)-1 },
    };
    for (unsigned int i = 0; i < 4; i++) {
        *bumps[i].field += bumps[i].delta;
        assert_false(mm_audit_domain(da, why, sizeof(why)));
        *bumps[i].field -= bumps[i].delta;
        audit(da);
    }
    pg(l2)->linear_pt = 0;
    assert_false(mm_audit_domain(da, why, sizeof(why)));
    assert_non_null(strstr(why, "linear"));
    pg(l2)->linear_pt = -1;
    audit(da);

    unpin(l2b);
    unpin(l2);
    finish();
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_general_references),
        T(test_last_reference_frees_frame),
        T(test_l1_maps_own_frames),
        T(test_l1_refuses_foreign_and_missing_frames),
        T(test_l1_flag_rules),
        T(test_l1_writable_mapping_needs_writable_type),
        T(test_l1_failure_unwinds),
        T(test_ln_flag_rules),
        T(test_recursive_validation_counts),
        T(test_deep_failure_unwinds_and_passes_error_up),
        T(test_ln_entry_type_conflicts),
        T(test_type_changes_only_at_count_zero),
        T(test_last_type_reference_devalidates),
        T(test_linear_self_reference),
        T(test_linear_reference_to_other_table),
        T(test_linear_refusals),
        T(test_l4_hypervisor_slots),
        T(test_adjust_guest_l1e),
        T(test_mod_l1_entry),
        T(test_ptwr_update_l1),
        T(test_mod_ln_entry),
        T(test_count_saturation),
        T(test_seg_desc_type),
        T(test_flush_tlb_mask_and_domain_flush),
        T(test_flush_stale),
        T(test_audit_detects_wrong_counts),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
