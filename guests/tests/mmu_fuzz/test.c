/*
 * mmu_fuzz - a guest-driven, model-checked fuzzer of the PV MMU.
 *
 * A pool of NP pages of ours takes random roles.  Pages 0..NP1-1 are data
 * pages or L1 tables (pinned, and/or linked into a sandbox L2: L4 slot 3 ->
 * L3 -> L2); pages NP1..NP-1 are data pages or L2 tables (pinned, and/or
 * linked into slots 1-2 of the sandbox L3) whose entries name the L1-role
 * pages.  L1 entries point at pool pages (read-only or writable), at a frame
 * that is not ours, or beyond RAM; L2 entries at L1-role pages, a foreign
 * frame or beyond RAM.  Random mmu_update / mmuext_op / update_va_mapping
 * requests (single and batched, valid and invalid) run against it, and a
 * model of Xen's type and count rules (xen/arch/x86/mm.c: _get_page_type,
 * get_page_from_l1e/l2e/l3e, mod_l1/l2/l3_entry) predicts every answer:
 *   - a page is an L1 (L2) while pinned, linked, or named by an entry of a
 *     live L2 (L3); it can take that type only with no writable mapping
 *     (-EINVAL) and when every present entry validates, the first failing
 *     entry's error coming back unchanged through every level;
 *   - an L1 entry naming a frame not ours is -EBUSY, one beyond RAM -EPERM,
 *     a writable one naming a page table (or its own table) -EBUSY; an L2
 *     entry naming something that cannot be an L1 -EINVAL;
 *   - a writable mapping of a page table is -EBUSY; COPY/CLEAR_PAGE into one
 *     -EINVAL; unpinning what is not pinned -EINVAL;
 *   - a page of no table type takes mmu_update writes plainly; an entry
 *     rewritten with its own value is not validated again;
 *   - a batch stops at its first error, *pdone counting what was done.
 * Reads through the sandbox show the tag word of the page the entries name
 * (or fault when nothing is mapped); writes through writable entries land in
 * the named page, writes through read-only views of L1 tables are emulated
 * (ptwr; the tag is never a present entry).  At the end every table is
 * dismantled and every page must be writable again; on Tern, TERNOP_audit
 * must find the frame accounting consistent (also every 256 steps).
 *
 * Deterministic for a seed: "seed=N" on the command line (default 1),
 * "iters=N" steps (default 5000).  The first disagreement with the model
 * ends the random phase (the model no longer describes the tables) and is
 * printed with its step, so that `--cmdline seed=N` replays it.
 */
#include "guest.h"

const char test_title[] = "mmu_fuzz: random PV MMU operations checked against a model of Xen's rules";

#define NP      16          /* pool pages */
#define NP1     12          /* 0..NP1-1: L1 role; NP1..NP-1: L2 role */
#define NE      8           /* entries used per page */
#define NL2     4           /* sandbox L2 slots that take L1-role pages */
#define NL3     2           /* sandbox L3 slots (1, 2) that take L2-role pages */
#define TAGW    511         /* the tag word of every page */
#define SLOT    3           /* sandbox L4 slot */

#define RW   (PTE_P | PTE_W | PTE_A | PTE_D)
#define RO   (PTE_P | PTE_A)
#define TBL  (PTE_P | PTE_W | PTE_U | PTE_A)
#define CMP_MASK (PTE_ADDR_MASK | PTE_P | PTE_W)

enum kind { K_NONE, K_POOL, K_FOREIGN, K_BEYOND };
struct ent { u8 kind, idx; bool rw, tbl; };
struct page {
    u64 *va;
    u64 mfn;
    bool alias_rw, pinned;
    struct ent e[NE];
    u64 tag;
    unsigned l1cnt;         /* L1 type references (L1 role) */
    unsigned l2cnt;         /* L2 type references (L2 role) */
    unsigned wref;          /* writable mappings: its alias, entries of live L1s */
};

static struct page pool[NP], saved[NP];
static int l2slot[NL2], l3slot[NL3], saved_l2slot[NL2], saved_l3slot[NL3];
static bool in_progress[NP];
static u64 *sl3, *sl2;
static u64 sl3_mfn, sl2_mfn;
static u64 foreign;
static u64 rng;
static bool on_tern;

/* Outcome counters. */
static unsigned steps, ops_ok, ops_err, mismatches, data_reads, data_writes, data_bad,
    fault_checks, fault_bad, batches, batch_bad, audits, audits_bad, l2_typed_max;
static unsigned op_count[32];
static char first_mismatch[240];
static bool stopped;

static u64 rnd(void)
{
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static inline u64 pte(u64 mfn, u64 flags) { return (mfn << PAGE_SHIFT) | flags; }
static u64 va1(unsigned j, unsigned k) { return ((u64)SLOT << 39) + j * MiB(2) + k * PAGE_SIZE; }
static u64 va2(unsigned s, unsigned j, unsigned k)
{
    return ((u64)SLOT << 39) + ((u64)(1 + s) << 30) + j * MiB(2) + k * PAGE_SIZE;
}

static u64 ent_val(struct ent e)
{
    u64 fl = e.tbl ? TBL : e.rw ? RW : RO;
    switch (e.kind) {
    case K_POOL:    return pte(pool[e.idx].mfn, fl);
    case K_FOREIGN: return pte(foreign, fl);
    case K_BEYOND:  return (1ULL << 51) | fl;
    default:        return 0;
    }
}

static bool ent_eq(struct ent a, struct ent b)
{
    return ent_val(a) == ent_val(b);
}

static bool role1(unsigned p) { return p < NP1; }
static bool is_l1(unsigned p) { return pool[p].l1cnt > 0; }
static bool is_l2(unsigned p) { return pool[p].l2cnt > 0; }
static bool typed(unsigned p) { return is_l1(p) || is_l2(p) || in_progress[p]; }

/* ---- the model: Xen's rules, applied in place; a failed operation is
 * undone by restoring the snapshot taken before it ---- */
static void snapshot(void)
{
    memcpy(saved, pool, sizeof(pool));
    memcpy(saved_l2slot, l2slot, sizeof(l2slot));
    memcpy(saved_l3slot, l3slot, sizeof(l3slot));
}

static void restore(void)
{
    memcpy(pool, saved, sizeof(pool));
    memcpy(l2slot, saved_l2slot, sizeof(l2slot));
    memcpy(l3slot, saved_l3slot, sizeof(l3slot));
    memset(in_progress, 0, sizeof(in_progress));
}

/* get_page_from_l1e for an entry of L1 table p. */
static long l1e_check(unsigned p, struct ent e)
{
    switch (e.kind) {
    case K_FOREIGN: return -XEN_EBUSY;
    case K_BEYOND:  return -XEN_EPERM;
    case K_POOL:
        if (e.rw && (typed(e.idx) || e.idx == p))
            return -XEN_EBUSY;
        return 0;
    default:
        return 0;
    }
}

static void l1e_take(struct ent e)
{
    if (e.kind == K_POOL && e.rw)
        pool[e.idx].wref++;
}

static void l1e_drop(struct ent e)
{
    if (e.kind == K_POOL && e.rw)
        pool[e.idx].wref--;
}

static long get_l1(unsigned t)
{
    if (is_l1(t)) {
        pool[t].l1cnt++;
        return 0;
    }
    if (pool[t].wref || is_l2(t) || in_progress[t])
        return -XEN_EINVAL;
    in_progress[t] = true;
    for (unsigned k = 0; k < NE; k++) {
        long rc = l1e_check(t, pool[t].e[k]);
        if (rc)
            return rc;
        l1e_take(pool[t].e[k]);
    }
    in_progress[t] = false;
    pool[t].l1cnt = 1;
    return 0;
}

static void put_l1(unsigned t)
{
    if (--pool[t].l1cnt == 0)
        for (unsigned k = 0; k < NE; k++)
            l1e_drop(pool[t].e[k]);
}

/* get_page_from_l2e for an entry of L2 table p: the named page becomes (or
 * is) an L1; its validation error comes back unchanged. */
static long l2e_take(struct ent e)
{
    switch (e.kind) {
    case K_FOREIGN:
    case K_BEYOND:
        return -XEN_EINVAL;
    case K_POOL:
        return get_l1(e.idx);
    default:
        return 0;
    }
}

static void l2e_drop(struct ent e)
{
    if (e.kind == K_POOL)
        put_l1(e.idx);
}

static long get_l2(unsigned p)
{
    if (is_l2(p)) {
        pool[p].l2cnt++;
        return 0;
    }
    if (pool[p].wref || is_l1(p) || in_progress[p])
        return -XEN_EINVAL;
    in_progress[p] = true;
    for (unsigned j = 0; j < NE; j++) {
        long rc = l2e_take(pool[p].e[j]);
        if (rc)
            return rc;
    }
    in_progress[p] = false;
    pool[p].l2cnt = 1;
    return 0;
}

static void put_l2(unsigned p)
{
    if (--pool[p].l2cnt == 0)
        for (unsigned j = 0; j < NE; j++)
            l2e_drop(pool[p].e[j]);
}

/* An entry write through mmu_update (or update_va_mapping) into page p. */
static long m_setent(unsigned p, unsigned k, struct ent e)
{
    struct ent old = pool[p].e[k];
    long rc = 0;
    if (is_l1(p)) {
        if (!ent_eq(old, e)) {          /* an unchanged entry is not validated again */
            if ((rc = l1e_check(p, e)))
                return rc;
            l1e_take(e);
            l1e_drop(old);
        }
    } else if (is_l2(p)) {
        if (!ent_eq(old, e)) {
            if ((rc = l2e_take(e)))
                return rc;
            l2e_drop(old);
        }
    }
    pool[p].e[k] = e;                   /* (a page of no table type: a plain write) */
    return 0;
}

static long m_link2(unsigned j, int t)
{
    int q = l2slot[j];
    if (q == t)
        return 0;
    if (t >= 0) {
        long rc = get_l1((unsigned)t);
        if (rc)
            return rc;
    }
    if (q >= 0)
        put_l1((unsigned)q);
    l2slot[j] = t;
    return 0;
}

static long m_link3(unsigned s, int p)
{
    int q = l3slot[s];
    if (q == p)
        return 0;
    if (p >= 0) {
        long rc = get_l2((unsigned)p);
        if (rc)
            return rc;
    }
    if (q >= 0)
        put_l2((unsigned)q);
    l3slot[s] = p;
    return 0;
}

static long m_pin(unsigned p)
{
    if (pool[p].pinned)
        return -XEN_EINVAL;
    long rc = role1(p) ? get_l1(p) : get_l2(p);
    if (!rc)
        pool[p].pinned = true;
    return rc;
}

static long m_unpin(unsigned p)
{
    if (!pool[p].pinned)
        return -XEN_EINVAL;
    pool[p].pinned = false;
    if (role1(p))
        put_l1(p);
    else
        put_l2(p);
    return 0;
}

static long m_alias(unsigned p, bool rw)
{
    if (rw && !pool[p].alias_rw) {
        if (typed(p))
            return -XEN_EBUSY;
        pool[p].wref++;
    } else if (!rw && pool[p].alias_rw) {
        pool[p].wref--;
    }
    pool[p].alias_rw = rw;
    return 0;
}

/* ---- reporting ---- */
static void mismatch(const char *fmt, ...) __printf(1, 2);
static void mismatch(const char *fmt, ...)
{
    mismatches++;
    if (!first_mismatch[0]) {
        char buf[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        snprintf(first_mismatch, sizeof(first_mismatch), "step %u: %s", steps, buf);
        printf("fuzz: MISMATCH %s\n", first_mismatch);
    }
    stopped = true;
}

/* Compare an answer with the model's (already applied when want == 0). */
static bool expect_rc(const char *what, long got, long want)
{
    if (want)
        restore();
    if (got == want) {
        if (got)
            ops_err++;
        else
            ops_ok++;
        return true;
    }
    mismatch("%s: rc %ld, model says %ld", what, got, want);
    return false;
}

/* ---- random entries ---- */
static struct ent random_ent1(void)
{
    struct ent e = { .kind = K_POOL, .idx = (u8)rn(NP), .rw = rn(2) };
    unsigned r = rn(20);
    if (r == 0)
        e.kind = K_FOREIGN;
    else if (r == 1)
        e.kind = K_BEYOND;
    else if (r < 5)
        e = (struct ent){ 0 };
    return e;
}

static struct ent random_ent2(void)
{
    struct ent e = { .kind = K_POOL, .idx = (u8)rn(NP1), .rw = true, .tbl = true };
    unsigned r = rn(20);
    if (r == 0)
        e.kind = K_FOREIGN, e.idx = 0;
    else if (r == 1)
        e.kind = K_BEYOND, e.idx = 0;
    else if (r < 6)
        e = (struct ent){ 0 };
    return e;
}

static struct ent random_ent_for(unsigned p)
{
    return role1(p) ? random_ent1() : random_ent2();
}

static u64 new_tag(void)
{
    return (rnd() << 1) & 0x7ffffffffffff000ULL;       /* never a present entry */
}

/* ---- checks through the mappings ---- */

/* What a data entry e maps, read and written at va. */
static void check_data(u64 va, struct ent e, const char *where)
{
    u64 v = 0;
    struct fault f = PROBE("mov (%1), %0", : "+r"(v) : "r"(va));
    if (e.kind != K_POOL) {
        fault_checks++;
        if (f.vector != 14) {
            fault_bad++;
            mismatch("read %#lx (%s, nothing mapped): fault %d value %#lx", va, where, f.vector, v);
        }
        return;
    }
    data_reads++;
    if (f.vector != -1 || v != pool[e.idx].tag) {
        data_bad++;
        mismatch("read %#lx (%s, page %u): fault %d value %#lx, tag %#lx", va, where, e.idx, f.vector, v,
                 pool[e.idx].tag);
        return;
    }
    u64 t = new_tag();
    f = PROBE("movq %1, (%0)", :: "r"(va), "r"(t) : "memory");
    /* Writable: lands in the page.  Read-only view of an L1: emulated as a
     * page-table write (ptwr).  Otherwise: #PF, present + write. */
    if (e.rw || is_l1(e.idx)) {
        data_writes++;
        if (f.vector != -1 || pool[e.idx].va[TAGW] != t) {
            data_bad++;
            mismatch("write %#lx (%s, page %u%s): fault %d, page reads %#lx", va, where, e.idx,
                     e.rw ? "" : ", ptwr", f.vector, pool[e.idx].va[TAGW]);
            return;
        }
        pool[e.idx].tag = t;
    } else {
        fault_checks++;
        if (f.vector != 14 || f.error_code != 3) {
            fault_bad++;
            mismatch("write %#lx (%s) through a read-only entry: fault %d error code %#x", va, where,
                     f.vector, f.error_code);
        }
    }
}

static void op_verify1(unsigned j, unsigned k)
{
    pt_ext(MMUEXT_TLB_FLUSH_LOCAL, 0);
    int t = l2slot[j];
    check_data(va1(j, k) + TAGW * 8, t >= 0 ? pool[t].e[k] : (struct ent){ 0 }, "sandbox L2");
}

static void op_verify2(unsigned s, unsigned j, unsigned k)
{
    pt_ext(MMUEXT_TLB_FLUSH_LOCAL, 0);
    int p = l3slot[s];
    struct ent e = { 0 };
    if (p >= 0 && pool[p].e[j].kind == K_POOL)
        e = pool[pool[p].e[j].idx].e[k];
    check_data(va2(s, j, k) + TAGW * 8, e, "pool L2");
}

/* Every page's contents as the model has them (address and P/W bits). */
static void op_scan(void)
{
    for (unsigned p = 0; p < NP; p++) {
        if (pool[p].va[TAGW] != pool[p].tag) {
            mismatch("page %u tag %#lx, model %#lx", p, pool[p].va[TAGW], pool[p].tag);
            return;
        }
        for (unsigned k = 0; k < NE; k++) {
            u64 want = ent_val(pool[p].e[k]);
            if ((pool[p].va[k] & CMP_MASK) != (want & CMP_MASK)) {
                mismatch("page %u entry %u %#lx, model %#lx", p, k, pool[p].va[k], want);
                return;
            }
        }
    }
}

/* Requests that are always refused, with constant answers. */
static void op_invalid(void)
{
    unsigned p = rn(NP);
    switch (rn(8)) {
    case 0:
        expect_rc("pin foreign", pt_ext(MMUEXT_PIN_L1_TABLE, foreign), -XEN_EINVAL);
        break;
    case 1:
        expect_rc("update in foreign frame", pt_update((foreign << PAGE_SHIFT) + 8 * rn(512), 0),
                  -XEN_EINVAL);
        break;
    case 2:
        expect_rc("L4 hypervisor slot", pt_update(pt_maddr(pt_l4(), 256 + rn(16)), ent_val(random_ent2())),
                  -XEN_EINVAL);
        break;
    case 3:
        expect_rc("link with PSE", pt_update(pt_maddr(sl2, NL2 + rn(4)), pte(pool[p].mfn, TBL | PTE_PS)),
                  -XEN_EINVAL);
        break;
    case 4:
        expect_rc("unknown mmuext", pt_ext(40 + rn(20), pool[p].mfn), -XEN_ENOSYS);
        break;
    case 5:
        expect_rc("unpin sandbox L2", pt_ext(MMUEXT_UNPIN_TABLE, sl2_mfn), -XEN_EINVAL);
        break;
    case 6:
        /* A page table, or a page mapped writable, as the other level. */
        p = rn(NP);
        if (typed(p) || pool[p].wref)
            expect_rc("pin at the other level",
                      pt_ext(role1(p) ? MMUEXT_PIN_L2_TABLE : MMUEXT_PIN_L1_TABLE, pool[p].mfn),
                      -XEN_EINVAL);
        break;
    default:
        expect_rc("link an L2 with PSE", pt_update(pt_maddr(sl3, 1 + NL3), pte(pool[p].mfn, TBL | PTE_PS)),
                  -XEN_EINVAL);
        break;
    }
}

/* ---- one random step ---- */
enum op {
    OP_PIN, OP_UNPIN, OP_LINK2, OP_LINK3, OP_UNLINK, OP_SETENT, OP_CLRENT, OP_ALIAS, OP_TAG,
    OP_VERIFY1, OP_VERIFY2, OP_COPY, OP_CLEAR, OP_UVM, OP_BATCH, OP_INVALID, OP_SCAN, NR_OPS
};
static const char *const op_names[NR_OPS] = {
    "pin", "unpin", "link2", "link3", "unlink", "setent", "clrent", "alias", "tag", "verify1",
    "verify2", "copy", "clear", "uvm", "batch", "invalid", "scan",
};

/* A request that mmu_update can carry, with the model applied. */
static long batch_item(struct mmu_update *req)
{
    unsigned p = rn(NP), k = rn(NE);
    switch (rn(4)) {
    case 0: {
        struct ent e = random_ent_for(p);
        req->ptr = pt_maddr(pool[p].va, k);
        req->val = ent_val(e);
        return m_setent(p, k, e);
    }
    case 1: {
        unsigned j = rn(NL2), t = rn(NP1);
        bool un = rn(3) == 0;
        req->ptr = pt_maddr(sl2, j);
        req->val = un ? 0 : pte(pool[t].mfn, TBL);
        return m_link2(j, un ? -1 : (int)t);
    }
    case 2: {
        unsigned s = rn(NL3), q = NP1 + rn(NP - NP1);
        bool un = rn(3) == 0;
        req->ptr = pt_maddr(sl3, 1 + s);
        req->val = un ? 0 : pte(pool[q].mfn, TBL);
        return m_link3(s, un ? -1 : (int)q);
    }
    default: {
        u64 t = new_tag();
        req->ptr = pt_maddr(pool[p].va, TAGW);
        req->val = t;
        pool[p].tag = t;
        return 0;
    }
    }
}

static void step(void)
{
    unsigned r = rn(100), p = rn(NP), k = rn(NE), j = rn(NL2), s = rn(NL3);
    enum op op = r < 7 ? OP_PIN : r < 11 ? OP_UNPIN : r < 18 ? OP_LINK2 : r < 22 ? OP_LINK3 :
                 r < 26 ? OP_UNLINK : r < 40 ? OP_SETENT : r < 43 ? OP_CLRENT : r < 49 ? OP_ALIAS :
                 r < 53 ? OP_TAG : r < 62 ? OP_VERIFY1 : r < 69 ? OP_VERIFY2 : r < 72 ? OP_COPY :
                 r < 75 ? OP_CLEAR : r < 82 ? OP_UVM : r < 91 ? OP_BATCH : r < 96 ? OP_INVALID : OP_SCAN;
    op_count[op]++;
    char what[96];
    snapshot();
    switch (op) {
    case OP_PIN:
        snprintf(what, sizeof(what), "pin page %u as L%d", p, role1(p) ? 1 : 2);
        expect_rc(what, pt_ext(role1(p) ? MMUEXT_PIN_L1_TABLE : MMUEXT_PIN_L2_TABLE, pool[p].mfn),
                  m_pin(p));
        break;
    case OP_UNPIN:
        snprintf(what, sizeof(what), "unpin page %u", p);
        expect_rc(what, pt_ext(MMUEXT_UNPIN_TABLE, pool[p].mfn), m_unpin(p));
        break;
    case OP_LINK2:
        p = rn(NP1);
        snprintf(what, sizeof(what), "link page %u at sandbox L2 slot %u", p, j);
        expect_rc(what, pt_update(pt_maddr(sl2, j), pte(pool[p].mfn, TBL)), m_link2(j, (int)p));
        break;
    case OP_LINK3:
        p = NP1 + rn(NP - NP1);
        snprintf(what, sizeof(what), "link page %u at sandbox L3 slot %u", p, 1 + s);
        expect_rc(what, pt_update(pt_maddr(sl3, 1 + s), pte(pool[p].mfn, TBL)), m_link3(s, (int)p));
        break;
    case OP_UNLINK:
        if (rn(2)) {
            snprintf(what, sizeof(what), "unlink sandbox L2 slot %u", j);
            expect_rc(what, pt_update(pt_maddr(sl2, j), 0), m_link2(j, -1));
        } else {
            snprintf(what, sizeof(what), "unlink sandbox L3 slot %u", 1 + s);
            expect_rc(what, pt_update(pt_maddr(sl3, 1 + s), 0), m_link3(s, -1));
        }
        break;
    case OP_SETENT:
    case OP_CLRENT: {
        struct ent e = op == OP_SETENT ? random_ent_for(p) : (struct ent){ 0 };
        snprintf(what, sizeof(what), "page %u entry %u := %#lx", p, k, ent_val(e));
        expect_rc(what, pt_update(pt_maddr(pool[p].va, k), ent_val(e)), m_setent(p, k, e));
        break;
    }
    case OP_ALIAS: {
        bool rw = rn(2);
        snprintf(what, sizeof(what), "alias of page %u %s", p, rw ? "rw" : "ro");
        expect_rc(what, pt_remap(pool[p].va, rw ? PTE_W | PTE_A | PTE_D : PTE_A), m_alias(p, rw));
        break;
    }
    case OP_TAG: {
        u64 t = new_tag();
        if (pool[p].alias_rw) {
            pool[p].va[TAGW] = t;
            pool[p].tag = t;
            ops_ok++;
        } else {
            snprintf(what, sizeof(what), "tag page %u by mmu_update", p);
            pool[p].tag = t;
            expect_rc(what, pt_update(pt_maddr(pool[p].va, TAGW), t), 0);
        }
        break;
    }
    case OP_VERIFY1:
        /* Mostly where something is mapped. */
        if (rn(4)) {
            for (unsigned n = 0; n < NL2 && l2slot[j] < 0; n++)
                j = (j + 1) % NL2;
            if (l2slot[j] >= 0)
                for (unsigned n = 0; n < NE && pool[l2slot[j]].e[k].kind != K_POOL; n++)
                    k = (k + 1) % NE;
        }
        op_verify1(j, k);
        break;
    case OP_VERIFY2: {
        unsigned jj = rn(NE);
        if (rn(4)) {
            for (unsigned n = 0; n < NL3 && l3slot[s] < 0; n++)
                s = (s + 1) % NL3;
            int q = l3slot[s];
            if (q >= 0) {
                for (unsigned n = 0; n < NE && pool[q].e[jj].kind != K_POOL; n++)
                    jj = (jj + 1) % NE;
                if (pool[q].e[jj].kind == K_POOL)
                    for (unsigned n = 0; n < NE && pool[pool[q].e[jj].idx].e[k].kind != K_POOL; n++)
                        k = (k + 1) % NE;
            }
        }
        op_verify2(s, jj, k);
        break;
    }
    case OP_COPY: {
        /* Within a role: an L2-role page never holds L1-style entries. */
        unsigned src = role1(p) ? rn(NP1) : NP1 + rn(NP - NP1);
        long want = typed(p) ? -XEN_EINVAL : 0;
        if (!want) {
            memcpy(pool[p].e, saved[src].e, sizeof(pool[p].e));
            pool[p].tag = saved[src].tag;
        }
        snprintf(what, sizeof(what), "copy page %u to page %u", src, p);
        expect_rc(what, pt_ext2(MMUEXT_COPY_PAGE, pool[p].mfn, pool[src].mfn), want);
        break;
    }
    case OP_CLEAR: {
        long want = typed(p) ? -XEN_EINVAL : 0;
        if (!want) {
            memset(pool[p].e, 0, sizeof(pool[p].e));
            pool[p].tag = 0;
        }
        snprintf(what, sizeof(what), "clear page %u", p);
        expect_rc(what, pt_ext(MMUEXT_CLEAR_PAGE, pool[p].mfn), want);
        break;
    }
    case OP_UVM: {
        /* update_va_mapping: the L1 is found by walking the tables. */
        struct ent e = random_ent1();
        long want = -XEN_EINVAL;
        u64 va;
        int t = -1;
        if (rn(2)) {
            va = va1(j, k);
            t = l2slot[j];
        } else {
            unsigned jj = rn(NE);
            va = va2(s, jj, k);
            int q = l3slot[s];
            if (q >= 0 && pool[q].e[jj].kind == K_POOL)
                t = pool[q].e[jj].idx;
        }
        if (t >= 0)
            want = m_setent((unsigned)t, k, e);
        snprintf(what, sizeof(what), "update_va_mapping %#lx := %#lx", va, ent_val(e));
        expect_rc(what, HYPERVISOR_update_va_mapping(va, ent_val(e), UVMF_INVLPG), want);
        break;
    }
    case OP_BATCH: {
        /* 2-5 mmu_update requests in one call. */
        struct mmu_update req[5];
        unsigned n = 2 + rn(4), expect_done = n;
        long want = 0;
        batches++;
        for (unsigned i = 0; i < n; i++) {
            struct page before[NP];
            int b2[NL2], b3[NL3];
            memcpy(before, pool, sizeof(pool));
            memcpy(b2, l2slot, sizeof(l2slot));
            memcpy(b3, l3slot, sizeof(l3slot));
            long rc = batch_item(&req[i]);
            if (want) {
                /* After the failing request nothing is done: keep the state. */
                memcpy(pool, before, sizeof(pool));
                memcpy(l2slot, b2, sizeof(l2slot));
                memcpy(l3slot, b3, sizeof(l3slot));
                memset(in_progress, 0, sizeof(in_progress));
            } else if (rc) {
                memcpy(pool, before, sizeof(pool));
                memcpy(l2slot, b2, sizeof(l2slot));
                memcpy(l3slot, b3, sizeof(l3slot));
                memset(in_progress, 0, sizeof(in_progress));
                want = rc;
                expect_done = i;
            }
        }
        /* The requests before the failing one stay done: no restore. */
        memcpy(saved, pool, sizeof(pool));
        memcpy(saved_l2slot, l2slot, sizeof(l2slot));
        memcpy(saved_l3slot, l3slot, sizeof(l3slot));
        unsigned done = 0xdead;
        long rc = HYPERVISOR_mmu_update(req, n, &done, DOMID_SELF);
        snprintf(what, sizeof(what), "batch of %u", n);
        if (expect_rc(what, rc, want) && done != expect_done) {
            batch_bad++;
            mismatch("batch of %u: *pdone %u, model says %u", n, done, expect_done);
        }
        break;
    }
    case OP_INVALID:
        op_invalid();
        break;
    case OP_SCAN:
        op_scan();
        break;
    default:
        break;
    }
    unsigned l2n = 0;
    for (unsigned q = NP1; q < NP; q++)
        l2n += is_l2(q);
    l2_typed_max = MAX(l2_typed_max, l2n);
}

static void setup(void)
{
    for (unsigned i = 0; i < NL2; i++)
        l2slot[i] = -1;
    for (unsigned i = 0; i < NL3; i++)
        l3slot[i] = -1;
    for (unsigned p = 0; p < NP; p++) {
        pool[p].va = alloc_page();
        if (!pool[p].va)
            guest_panic("out of pages");
        pool[p].mfn = virt_to_mfn(pool[p].va);
        pool[p].alias_rw = true;
        pool[p].wref = 1;
    }
    sl3 = pt_alloc(&sl3_mfn);
    sl2 = pt_alloc(&sl2_mfn);
    if (!sl3 || !sl2)
        guest_panic("out of pages");
    long rc = pt_update(pt_maddr(sl3, 0), pte(sl2_mfn, TBL));
    rc |= pt_update(pt_maddr(pt_l4(), SLOT), pte(sl3_mfn, TBL));
    if (!CHECK_EQ("fuzz.setup_sandbox", rc, 0))
        guest_panic("sandbox: %ld", rc);
    foreign = pt_foreign_frame(true);
    if (!foreign)
        guest_panic("no foreign frame");
}

/* Take everything apart without trusting the model (it may be wrong after a
 * mismatch): unlink, unpin, clear every entry, make every alias writable. */
static void teardown(void)
{
    long bad = 0;
    for (unsigned s = 1; s <= NL3 + 1; s++)
        bad |= pt_update(pt_maddr(sl3, s), 0);
    for (unsigned j = 0; j < NL2 + 4; j++)
        bad |= pt_update(pt_maddr(sl2, j), 0);
    for (unsigned p = 0; p < NP; p++) {
        long rc = pt_ext(MMUEXT_UNPIN_TABLE, pool[p].mfn);
        if (rc && rc != -XEN_EINVAL)
            bad |= rc;
    }
    for (unsigned p = 0; p < NP; p++)
        for (unsigned k = 0; k < NE; k++)
            bad |= pt_update(pt_maddr(pool[p].va, k), 0);
    unsigned not_writable = 0;
    for (unsigned p = 0; p < NP; p++)
        if (pt_remap(pool[p].va, PTE_W | PTE_A | PTE_D))
            not_writable++;
    check(!bad && !not_writable, "fuzz.teardown_every_page_writable",
          "errors %#lx, %u pages still not writable", (u64)bad, not_writable);
    long rc = pt_update(pt_maddr(pt_l4(), SLOT), 0);
    rc |= pt_update(pt_maddr(sl3, 0), 0);
    rc |= pt_release(sl2) | pt_release(sl3);
    CHECK_EQ("fuzz.teardown_sandbox", rc, 0);
    for (unsigned p = 0; p < NP; p++) {
        memset(pool[p].va, 0, PAGE_SIZE);
        free_page(pool[p].va);
    }
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("the PV MMU does not exist natively");
        return;
    }
    char buf[32];
    u64 seed = 1, iters = 5000;
    if (cmdline_value("seed", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &seed);
    if (cmdline_value("iters", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &iters);
    rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    on_tern = tern_present();
    printf("fuzz: seed %lu, %lu steps (replay with seed=%lu)\n", seed, iters, seed);
    setup();
    u64 t0 = now_ns();
    for (steps = 0; steps < iters && !stopped; steps++) {
        step();
        if (on_tern && (steps & 255) == 255) {
            audits++;
            if (tern_audit())
                audits_bad++;
        }
    }
    if (!stopped)
        op_scan();
    printf("fuzz: %u steps in %lu ms: %u accepted, %u refused as predicted, up to %u live pool L2s;",
           steps, (now_ns() - t0) / 1000000, ops_ok, ops_err, l2_typed_max);
    for (unsigned i = 0; i < NR_OPS; i++)
        printf(" %s %u", op_names[i], op_count[i]);
    printf("\n");
    check(mismatches == 0, "fuzz.answers_as_model", "%u steps, %u mismatches%s%s", steps, mismatches,
          first_mismatch[0] ? "; first: " : "", first_mismatch);
    /* Coverage is judged only for a run that went all the way (a mismatch
     * stops it early, and is reported above). */
    const char *cut = stopped ? " (stopped early: coverage not judged)" : "";
    check(data_bad == 0 && (stopped || (data_reads > 0 && data_writes > 0)), "fuzz.data_through_mappings",
          "%u reads, %u writes, %u wrong%s", data_reads, data_writes, data_bad, cut);
    check(fault_bad == 0 && (stopped || fault_checks > 0), "fuzz.faults_where_nothing_mapped",
          "%u checked, %u wrong%s", fault_checks, fault_bad, cut);
    check(batch_bad == 0 && (stopped || batches > 0), "fuzz.batch_pdone", "%u batches, %u wrong%s",
          batches, batch_bad, cut);
    check(stopped || (ops_ok > iters / 4 && ops_err > iters / 40), "fuzz.both_outcomes_exercised",
          "%u accepted, %u refused%s", ops_ok, ops_err, cut);
    teardown();
    if (on_tern) {
        check(audits_bad == 0, "tern.audit_during_run", "%u audits, %u inconsistent", audits, audits_bad);
        CHECK_EQ("tern.audit_at_end", tern_audit(), 0);
    }
}
