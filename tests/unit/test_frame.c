/* test_frame.c - hypervisor/core/frame.c: the buddy allocator of machine frames. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "shim.h"
#include "frame.h"

#define INVALID INVALID_MFN_RAW

static int teardown(void **state)
{
    shim_machine_free();
    return 0;
}

static u64 alloc_raw(unsigned int order)
{
    return mfn_x(frames_alloc(order));
}

/* Every frame of [m, m + 2^order) is in state st. */
static void assert_block_state(u64 m, unsigned int order, u8 st)
{
    for (u64 i = 0; i < (1ull << order); i++)
        if (frame_table[m + i].state != st)
            fail_msg("frame %llu of block %llu/%u: state %u, want %u",
                     (unsigned long long)(m + i), (unsigned long long)m, order,
                     frame_table[m + i].state, st);
}

static void test_machine_counts(void **state)
{
    shim_machine(1000, 16);
    assert_int_equal(frames_free_count(), 984);
    assert_int_equal(frames_total_count(), 984);
    assert_true(frames_check());
    for (u64 m = 0; m < 1000; m++)
        assert_int_equal(frame_table[m].state, m < 16 ? PGS_RESERVED : PGS_FREE);
}

static void test_alloc_each_order(void **state)
{
    const unsigned int max = 12;
    u64 n = (1ull << (max + 1)) + 3;
    shim_machine(n, 3);
    u64 start = frames_free_count();
    u8 *owned = calloc(n, 1);
    u64 blocks[13];

    for (unsigned int o = 0; o <= max; o++) {
        u64 before = frames_free_count();
        u64 m = alloc_raw(o);
        assert_int_not_equal(m, INVALID);
        blocks[o] = m;
        assert_true(m + (1ull << o) <= n);
        assert_int_equal(m & ((1ull << o) - 1), 0);        /* naturally aligned */
        assert_true(m >= 3);                                /* never a reserved frame */
        assert_block_state(m, o, PGS_HV);
        for (u64 i = 0; i < (1ull << o); i++) {
            assert_int_equal(owned[m + i], 0);              /* distinct from the others */
            owned[m + i] = 1;
            assert_int_equal(frame_table[m + i].flags & PGF_HEAD, 0);
        }
        assert_int_equal(frames_free_count(), before - (1ull << o));
        assert_true(frames_check());
    }
    for (unsigned int o = 0; o <= max; o++) {
        frames_free(_mfn(blocks[o]), o);
        assert_block_state(blocks[o], o, PGS_FREE);
        assert_true(frames_check());
    }
    assert_int_equal(frames_free_count(), start);
    /* Everything merged again: the big blocks are whole ([0, 3) is reserved,
     * so [4096, 8192) is the only 4096-block and [2048, 4096) a 2048-block). */
    assert_int_equal(alloc_raw(max), 4096);
    assert_int_equal(alloc_raw(max), INVALID);
    assert_int_equal(alloc_raw(max - 1), 2048);
    assert_int_equal(alloc_raw(max - 2), 1024);
    free(owned);
}

/*
 * The largest blocks take a frame table of their own: frame.c never touches
 * the frames' memory, so no 1-2 GiB of shim RAM is needed behind them.
 */
static struct page_info *big_table;

static void big_machine(u64 nr_frames)
{
    big_table = calloc(nr_frames, sizeof(struct page_info));
    assert_non_null(big_table);
    frames_init(big_table, nr_frames);
    frames_add_range(0, nr_frames);
}

static int big_teardown(void **state)
{
    free(big_table);
    big_table = NULL;
    return 0;
}

static void test_max_order_block(void **state)
{
    /* One 1 GiB block and a few frames after it. */
    u64 n = (1ull << FRAME_MAX_ORDER) + 5;
    big_machine(n);
    assert_int_equal(frames_free_count(), n);
    assert_true(frames_check());

    u64 m = alloc_raw(FRAME_MAX_ORDER);
    assert_int_equal(m, 0);
    assert_block_state(0, FRAME_MAX_ORDER, PGS_HV);
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER), INVALID);
    assert_int_equal(frames_free_count(), 5);
    frames_free(_mfn(m), FRAME_MAX_ORDER);
    assert_int_equal(frames_free_count(), n);

    /* Split it, give the pieces back: they merge into one block again. */
    u64 small = alloc_raw(3);
    assert_int_not_equal(small, INVALID);
    assert_true(small < (1ull << FRAME_MAX_ORDER));     /* the 5 odd frames hold no 8-block */
    u64 half = alloc_raw(FRAME_MAX_ORDER - 1);
    assert_int_not_equal(half, INVALID);
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER), INVALID);
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER - 1), INVALID);
    assert_true(frames_check());
    frames_free(_mfn(small), 3);
    frames_free(_mfn(half), FRAME_MAX_ORDER - 1);
    assert_true(frames_check());
    assert_int_equal(frames_free_count(), n);
    m = alloc_raw(FRAME_MAX_ORDER);
    assert_int_equal(m, 0);
    frames_free(_mfn(m), FRAME_MAX_ORDER);
    assert_true(frames_check());
}

static void test_no_merge_beyond_max_order(void **state)
{
    /* Two max-order buddies: both free, still two blocks (2 GiB is no order). */
    big_machine(2ull << FRAME_MAX_ORDER);
    u64 before = frames_free_count();
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER + 1), INVALID);
    assert_int_equal(frames_free_count(), before);
    u64 a = alloc_raw(FRAME_MAX_ORDER), b = alloc_raw(FRAME_MAX_ORDER);
    assert_int_not_equal(a, INVALID);
    assert_int_not_equal(b, INVALID);
    assert_int_equal(a ^ b, 1ull << FRAME_MAX_ORDER);
    assert_int_equal(alloc_raw(0), INVALID);
    frames_free(_mfn(a), FRAME_MAX_ORDER);
    frames_free(_mfn(b), FRAME_MAX_ORDER);
    assert_true(frames_check());
    assert_int_equal(frames_free_count(), before);
    assert_int_equal(frame_table[0].order, FRAME_MAX_ORDER);
    assert_int_equal(frame_table[1ull << FRAME_MAX_ORDER].order, FRAME_MAX_ORDER);
    assert_int_equal(frame_table[1ull << FRAME_MAX_ORDER].flags & PGF_HEAD, PGF_HEAD);
}

static void test_order_too_large_refused(void **state)
{
    shim_machine(256, 0);
    u64 before = frames_free_count();
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER + 1), INVALID);
    assert_int_equal(alloc_raw(FRAME_MAX_ORDER + 2), INVALID);
    assert_int_equal(alloc_raw(63), INVALID);
    assert_int_equal(alloc_raw(64), INVALID);
    assert_int_equal(alloc_raw(~0u), INVALID);
    assert_int_equal(frames_free_count(), before);
    assert_true(frames_check());
    /* An order that fits in the allocator's range but not in this machine. */
    assert_int_equal(alloc_raw(9), INVALID);
    assert_int_equal(alloc_raw(8), 0);
}

static void test_exhaustion(void **state)
{
    shim_machine(64, 0);
    u64 got[64];
    u8 seen[64] = { 0 };

    for (int i = 0; i < 64; i++) {
        got[i] = alloc_raw(0);
        assert_true(got[i] < 64);
        assert_int_equal(seen[got[i]], 0);
        seen[got[i]] = 1;
    }
    assert_int_equal(frames_free_count(), 0);
    assert_int_equal(alloc_raw(0), INVALID);
    assert_int_equal(alloc_raw(1), INVALID);
    assert_int_equal(alloc_raw(6), INVALID);
    assert_true(frames_check());

    /* Give them back in a scrambled order: everything merges into one 64-frame block. */
    for (int i = 0; i < 64; i++) {
        int k = (i * 37 + 11) % 64;            /* a permutation of 0..63 */
        frames_free(_mfn(got[k]), 0);
        assert_true(frames_check());
        assert_int_equal(frames_free_count(), (u64)i + 1);
    }
    assert_int_equal(alloc_raw(6), 0);
    assert_int_equal(alloc_raw(0), INVALID);
}

static void test_fragmentation_blocks_larger_orders(void **state)
{
    shim_machine(64, 0);
    for (int i = 0; i < 64; i++)
        assert_int_equal(alloc_raw(0) == INVALID, false);
    /* Free the even frames only: 32 free frames, no free buddy pair. */
    for (u64 m = 0; m < 64; m += 2)
        frames_free(_mfn(m), 0);
    assert_int_equal(frames_free_count(), 32);
    assert_true(frames_check());
    assert_int_equal(alloc_raw(1), INVALID);
    /* Free frame 1: it merges with frame 0 and only with it. */
    frames_free(_mfn(1), 0);
    assert_int_equal(alloc_raw(2), INVALID);
    assert_int_equal(alloc_raw(1), 0);
    assert_true(frames_check());
}

static void test_block_at_table_end_does_not_merge_past_it(void **state)
{
    /* 96 frames: a 64-block at 0 and a 32-block at 64 whose buddy would be past the end. */
    shim_machine(96, 0);
    assert_int_equal(alloc_raw(6), 0);
    assert_int_equal(alloc_raw(6), INVALID);
    assert_int_equal(alloc_raw(5), 64);
    frames_free(_mfn(64), 5);
    frames_free(_mfn(0), 6);
    assert_true(frames_check());
    assert_int_equal(alloc_raw(7), INVALID);
    assert_int_equal(frames_free_count(), 96);
}

static void test_add_range_unaligned(void **state)
{
    const u64 n = 1024;
    shim_machine(n, n);                 /* nothing handed over yet */
    assert_int_equal(frames_free_count(), 0);
    assert_int_equal(alloc_raw(0), INVALID);

    frames_add_range(3, 37);
    frames_add_range(100, 101);
    frames_add_range(515, 5000);        /* clipped to the table */
    frames_add_range(60, 60);           /* empty */
    u64 want = (37 - 3) + 1 + (n - 515);
    assert_int_equal(frames_free_count(), want);
    assert_int_equal(frames_total_count(), want);
    assert_true(frames_check());
    for (u64 m = 0; m < n; m++) {
        bool in = (m >= 3 && m < 37) || m == 100 || m >= 515;
        assert_int_equal(frame_table[m].state, in ? PGS_FREE : PGS_RESERVED);
    }
    /* The largest block: [512, 1024) is not all free, [768, 1024) is. */
    assert_int_equal(alloc_raw(9), INVALID);
    assert_int_equal(alloc_raw(8), 768);

    /* Every remaining frame, and nothing else. */
    u64 count = 0, m;
    while ((m = alloc_raw(0)) != INVALID) {
        assert_true((m >= 3 && m < 37) || m == 100 || (m >= 515 && m < 768));
        count++;
    }
    assert_int_equal(count, want - 256);
    assert_true(frames_check());
}

static void test_add_range_pieces_merge(void **state)
{
    shim_machine(512, 512);
    frames_add_range(256, 512);
    frames_add_range(0, 5);
    frames_add_range(5, 256);
    assert_true(frames_check());
    assert_int_equal(frames_free_count(), 512);
    /* Handed over in three unaligned pieces, merged into one block. */
    assert_int_equal(alloc_raw(9), 0);
}

static void test_check_detects_corruption(void **state)
{
    shim_machine(128, 0);
    assert_true(frames_check());
    u64 m = alloc_raw(0);
    assert_true(frames_check());

    /* A free frame that claims to be in use. */
    u64 other = m ^ 1;
    frame_table[other].state = PGS_HV;
    assert_false(frames_check());
    frame_table[other].state = PGS_FREE;
    assert_true(frames_check());

    /* An allocated frame that claims to be free (not on any list). */
    frame_table[m].state = PGS_FREE;
    assert_false(frames_check());
    frame_table[m].state = PGS_HV;
    assert_true(frames_check());
}

/* xorshift64*: reproducible on every host. */
static u64 rng_state;
static u64 rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* How many blocks of each order a greedy largest-first allocation gets (then freed). */
static void profile(unsigned int max, u64 *counts)
{
    u64 *held = malloc(sizeof(u64) * 4096);
    unsigned int *ord = malloc(sizeof(unsigned int) * 4096);
    size_t nh = 0;

    for (int o = (int)max; o >= 0; o--) {
        counts[o] = 0;
        u64 m;
        while ((m = alloc_raw((unsigned int)o)) != INVALID) {
            assert_true(nh < 4096);
            held[nh] = m;
            ord[nh++] = (unsigned int)o;
            counts[o]++;
        }
    }
    assert_int_equal(frames_free_count(), 0);
    while (nh--)
        frames_free(_mfn(held[nh]), ord[nh]);
    free(held);
    free(ord);
}

struct live { u64 m; unsigned int order; };

static void test_randomized(void **state)
{
    const u64 n = 2000, low = 7;
    shim_machine(n, low);
    const u64 total = frames_total_count();
    assert_int_equal(total, n - low);

    u64 before[10], after[10];
    profile(9, before);
    assert_int_equal(frames_free_count(), total);
    assert_true(frames_check());

    u8 *owner = calloc(n, 1);
    struct live *live = calloc(2000, sizeof(*live));
    size_t nlive = 0;
    u64 used = 0, allocs = 0, fails = 0, frees = 0;

    rng_state = 0x9e3779b97f4a7c15ull;
    for (int step = 0; step < 2000; step++) {
        u64 r = rng();
        if (nlive && (r & 7) < 3) {
            size_t i = (size_t)((r >> 8) % nlive);
            struct live l = live[i];
            live[i] = live[--nlive];
            for (u64 k = 0; k < (1ull << l.order); k++) {
                assert_int_equal(owner[l.m + k], 1);
                owner[l.m + k] = 0;
            }
            frames_free(_mfn(l.m), l.order);
            assert_block_state(l.m, l.order, PGS_FREE);
            used -= 1ull << l.order;
            frees++;
        } else {
            /* Mostly small orders, sometimes up to 8. */
            unsigned int order = (unsigned int)((r >> 16) % 100);
            order = order < 60 ? order % 3 : order < 90 ? 3 + order % 3 : 6 + order % 3;
            u64 m = alloc_raw(order);
            if (m == INVALID) {
                fails++;
                /* Refused only when it really does not fit somewhere aligned. */
                bool fits = false;
                for (u64 b = 0; b + (1ull << order) <= n && !fits; b += 1ull << order) {
                    bool all = true;
                    for (u64 k = 0; k < (1ull << order) && all; k++)
                        all = frame_table[b + k].state == PGS_FREE;
                    fits = all;
                }
                assert_false(fits);
            } else {
                assert_true(m >= low && m + (1ull << order) <= n);
                assert_int_equal(m & ((1ull << order) - 1), 0);
                for (u64 k = 0; k < (1ull << order); k++) {
                    assert_int_equal(owner[m + k], 0);   /* no two live blocks overlap */
                    owner[m + k] = 1;
                }
                assert_block_state(m, order, PGS_HV);
                live[nlive++] = (struct live){ m, order };
                used += 1ull << order;
                allocs++;
            }
        }
        assert_true(frames_check());
        assert_int_equal(frames_free_count(), total - used);
    }
    /* The sequence did exercise all paths. */
    assert_true(allocs > 500);
    assert_true(frees > 500);
    assert_true(fails > 0);

    while (nlive) {
        struct live l = live[--nlive];
        frames_free(_mfn(l.m), l.order);
        assert_true(frames_check());
    }
    assert_int_equal(frames_free_count(), total);
    profile(9, after);
    assert_memory_equal(before, after, sizeof(before));
    assert_int_equal(before[9], 2);     /* [512, 1024) and [1024, 1536) whole again */
    free(owner);
    free(live);
}

static void test_page_list(void **state)
{
    /* Reserved frames 0..15 are not the allocator's: use them for a private list. */
    shim_machine(64, 16);
    struct page_list l;
    page_list_init(&l);
    assert_null(page_list_first(&l));
    assert_int_equal(l.count, 0);

    struct page_info *a = mfn_to_page(_mfn(3)), *b = mfn_to_page(_mfn(7)), *c = mfn_to_page(_mfn(5));
    page_list_add_tail(&l, a);
    page_list_add_tail(&l, b);
    page_list_add_tail(&l, c);
    assert_int_equal(l.count, 3);
    assert_ptr_equal(page_list_first(&l), a);
    assert_ptr_equal(page_list_next(a), b);
    assert_ptr_equal(page_list_next(b), c);
    assert_null(page_list_next(c));
    assert_int_equal(a->prev, PAGE_LIST_NULL);
    assert_int_equal(b->prev, 3);
    assert_int_equal(c->prev, 7);
    assert_int_equal(l.head, 3);
    assert_int_equal(l.tail, 5);

    /* Delete the middle. */
    page_list_del(&l, b);
    assert_int_equal(l.count, 2);
    assert_ptr_equal(page_list_next(a), c);
    assert_int_equal(c->prev, 3);
    assert_int_equal(b->next, PAGE_LIST_NULL);
    assert_int_equal(b->prev, PAGE_LIST_NULL);

    /* Delete the head. */
    page_list_del(&l, a);
    assert_ptr_equal(page_list_first(&l), c);
    assert_int_equal(c->prev, PAGE_LIST_NULL);
    assert_int_equal(l.count, 1);

    /* Re-add, then delete the tail. */
    page_list_add_tail(&l, b);
    assert_ptr_equal(page_list_next(c), b);
    page_list_del(&l, b);
    assert_int_equal(l.tail, 5);
    assert_null(page_list_next(c));

    /* Delete the last one: empty again. */
    page_list_del(&l, c);
    assert_int_equal(l.count, 0);
    assert_null(page_list_first(&l));
    assert_int_equal(l.head, PAGE_LIST_NULL);
    assert_int_equal(l.tail, PAGE_LIST_NULL);

    /* The allocator's own lists were not disturbed. */
    assert_true(frames_check());
    assert_int_equal(frames_free_count(), 48);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_machine_counts, teardown),
        cmocka_unit_test_teardown(test_alloc_each_order, teardown),
        cmocka_unit_test_teardown(test_max_order_block, big_teardown),
        cmocka_unit_test_teardown(test_no_merge_beyond_max_order, big_teardown),
        cmocka_unit_test_teardown(test_order_too_large_refused, teardown),
        cmocka_unit_test_teardown(test_exhaustion, teardown),
        cmocka_unit_test_teardown(test_fragmentation_blocks_larger_orders, teardown),
        cmocka_unit_test_teardown(test_block_at_table_end_does_not_merge_past_it, teardown),
        cmocka_unit_test_teardown(test_add_range_unaligned, teardown),
        cmocka_unit_test_teardown(test_add_range_pieces_merge, teardown),
        cmocka_unit_test_teardown(test_check_detects_corruption, teardown),
        cmocka_unit_test_teardown(test_randomized, teardown),
        cmocka_unit_test_teardown(test_page_list, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
