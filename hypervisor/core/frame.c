/*
 * frame.c - the buddy allocator of machine frames.
 *
 * Free blocks of 2^order frames sit on free_list[order]; a block's first
 * frame is its head (PGF_HEAD, order) and every frame of it is PGS_FREE.  A
 * freed block merges with its buddy (mfn ^ 2^order) while the buddy is a free
 * head of the same order.  Allocation splits the smallest block that fits.
 * Everything is under one lock; the lists link frames by number (page.h).
 *
 * Invariants (frames_check): every PGS_FREE frame belongs to exactly one listed
 * block, heads are aligned to their order, free_count matches the lists.
 */
#include "frame.h"
#include "spinlock.h"

struct page_info *frame_table;
u64 frame_table_size;

static struct page_list free_list[FRAME_MAX_ORDER + 1];
static u64 free_count, total_count;
static DEFINE_SPINLOCK(frame_lock);

/* ---- lists linked by frame number ---- */

void page_list_init(struct page_list *l)
{
    l->head = l->tail = PAGE_LIST_NULL;
    l->count = 0;
}

void page_list_add_tail(struct page_list *l, struct page_info *pg)
{
    u32 m = (u32)mfn_x(page_to_mfn(pg));

    pg->next = PAGE_LIST_NULL;
    pg->prev = l->tail;
    if (l->tail == PAGE_LIST_NULL)
        l->head = m;
    else
        frame_table[l->tail].next = m;
    l->tail = m;
    l->count++;
}

void page_list_del(struct page_list *l, struct page_info *pg)
{
    if (pg->prev == PAGE_LIST_NULL)
        l->head = pg->next;
    else
        frame_table[pg->prev].next = pg->next;
    if (pg->next == PAGE_LIST_NULL)
        l->tail = pg->prev;
    else
        frame_table[pg->next].prev = pg->prev;
    pg->next = pg->prev = PAGE_LIST_NULL;
    l->count--;
}

struct page_info *page_list_first(const struct page_list *l)
{
    return l->head == PAGE_LIST_NULL ? NULL : &frame_table[l->head];
}

struct page_info *page_list_next(const struct page_info *pg)
{
    return pg->next == PAGE_LIST_NULL ? NULL : &frame_table[pg->next];
}

/* ---- the buddy system ---- */

void frames_init(struct page_info *table, u64 nr_frames)
{
    frame_table = table;
    frame_table_size = nr_frames;
    for (unsigned int o = 0; o <= FRAME_MAX_ORDER; o++)
        page_list_init(&free_list[o]);
    free_count = total_count = 0;
}

static void set_block_state(u64 m, unsigned int order, u8 state)
{
    for (u64 i = 0; i < (1ull << order); i++) {
        frame_table[m + i].state = state;
        frame_table[m + i].flags = 0;
        frame_table[m + i].order = 0;
        frame_table[m + i].count_info = 0;  /* no reference can be taken to it (pv/mm.c) */
        frame_table[m + i].type_info = 0;
    }
}

/* Put a block on the free lists, merging with free buddies. Lock held. */
static void free_block(u64 m, unsigned int order)
{
    set_block_state(m, order, PGS_FREE);
    free_count += 1ull << order;
    while (order < FRAME_MAX_ORDER) {
        u64 buddy = m ^ (1ull << order);
        if (buddy + (1ull << order) > frame_table_size)
            break;
        struct page_info *b = &frame_table[buddy];
        if (b->state != PGS_FREE || !(b->flags & PGF_HEAD) || b->order != order)
            break;
        page_list_del(&free_list[order], b);
        b->flags = 0;
        b->order = 0;
        m = m < buddy ? m : buddy;
        order++;
    }
    frame_table[m].flags = PGF_HEAD;
    frame_table[m].order = (u8)order;
    page_list_add_tail(&free_list[order], &frame_table[m]);
}

void frames_add_range(u64 start, u64 end)
{
    if (end > frame_table_size)
        end = frame_table_size;
    u64 flags = spin_lock_irqsave(&frame_lock);
    while (start < end) {
        unsigned int order = 0;
        /* Largest aligned block starting at start that fits. */
        while (order < FRAME_MAX_ORDER &&
               (start & ((2ull << order) - 1)) == 0 &&
               start + (2ull << order) <= end)
            order++;
        total_count += 1ull << order;
        free_block(start, order);
        start += 1ull << order;
    }
    spin_unlock_irqrestore(&frame_lock, flags);
}

mfn_t frames_alloc(unsigned int order)
{
    if (order > FRAME_MAX_ORDER)
        return _mfn(INVALID_MFN_RAW);

    u64 flags = spin_lock_irqsave(&frame_lock);
    unsigned int o = order;
    while (o <= FRAME_MAX_ORDER && free_list[o].head == PAGE_LIST_NULL)
        o++;
    if (o > FRAME_MAX_ORDER) {
        spin_unlock_irqrestore(&frame_lock, flags);
        return _mfn(INVALID_MFN_RAW);
    }
    struct page_info *pg = page_list_first(&free_list[o]);
    u64 m = mfn_x(page_to_mfn(pg));
    page_list_del(&free_list[o], pg);
    pg->flags = 0;
    /* Split: give back the upper halves. */
    while (o > order) {
        o--;
        u64 upper = m + (1ull << o);
        frame_table[upper].flags = PGF_HEAD;
        frame_table[upper].order = (u8)o;
        page_list_add_tail(&free_list[o], &frame_table[upper]);
    }
    set_block_state(m, order, PGS_HV);
    free_count -= 1ull << order;
    spin_unlock_irqrestore(&frame_lock, flags);
    return _mfn(m);
}

void frames_free(mfn_t mfn, unsigned int order)
{
    u64 flags = spin_lock_irqsave(&frame_lock);
    free_block(mfn_x(mfn), order);
    spin_unlock_irqrestore(&frame_lock, flags);
}

u64 frames_free_count(void)
{
    return READ_ONCE(free_count);
}

u64 frames_total_count(void)
{
    return READ_ONCE(total_count);
}

bool frames_check(void)
{
    u64 listed = 0, free_frames = 0;
    bool ok = true;

    u64 flags = spin_lock_irqsave(&frame_lock);
    for (unsigned int o = 0; o <= FRAME_MAX_ORDER; o++) {
        u64 n = 0;
        for (struct page_info *pg = page_list_first(&free_list[o]); pg; pg = page_list_next(pg)) {
            u64 m = mfn_x(page_to_mfn(pg));
            if (!(pg->flags & PGF_HEAD) || pg->order != o || (m & ((1ull << o) - 1)))
                ok = false;
            for (u64 i = 0; i < (1ull << o); i++)
                if (frame_table[m + i].state != PGS_FREE)
                    ok = false;
            listed += 1ull << o;
            if (++n > free_list[o].count)
                break;
        }
        if (n != free_list[o].count)
            ok = false;
    }
    for (u64 m = 0; m < frame_table_size; m++)
        if (frame_table[m].state == PGS_FREE)
            free_frames++;
    if (listed != free_count || free_frames != free_count)
        ok = false;
    spin_unlock_irqrestore(&frame_lock, flags);
    return ok;
}
