/* test_heap.c - hypervisor/core/heap.c: xmalloc/xfree and page allocation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "shim.h"
#include "heap.h"
#include "frame.h"
#include "arch/mm.h"

/*
 * One machine for the whole run: the heap keeps its size-class pages (and
 * their free lists) for good, so it must not outlive the RAM they point into.
 */
#define NR_FRAMES   4096u               /* 16 MiB */
#define LOW         16u

static int group_setup(void **state)
{
    shim_machine(NR_FRAMES, LOW);
    return 0;
}

static int group_teardown(void **state)
{
    shim_machine_free();
    return 0;
}

static bool in_ram(const void *p, size_t size)
{
    const u8 *b = p;
    return b >= shim_ram + LOW * PAGE_SIZE && b + size <= shim_ram + (u64)NR_FRAMES * PAGE_SIZE;
}

static void fill(void *p, size_t size, u32 id)
{
    u8 *b = p;
    for (size_t i = 0; i < size; i++)
        b[i] = (u8)(id * 31 + i * 7);
}

static bool check_fill(const void *p, size_t size, u32 id)
{
    const u8 *b = p;
    for (size_t i = 0; i < size; i++)
        if (b[i] != (u8)(id * 31 + i * 7))
            return false;
    return true;
}

struct obj { u8 *p; size_t size; };

static int cmp_obj(const void *a, const void *b)
{
    const struct obj *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* No two live objects share a byte (a zero-size object still owns one). */
static void assert_disjoint(struct obj *objs, size_t n)
{
    struct obj *s = malloc(n * sizeof(*s));
    assert_non_null(s);
    memcpy(s, objs, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_obj);
    for (size_t i = 1; i < n; i++)
        if (s[i - 1].p + (s[i - 1].size ? s[i - 1].size : 1) > s[i].p)
            fail_msg("objects %p (+%zu) and %p overlap", (void *)s[i - 1].p, s[i - 1].size,
                     (void *)s[i].p);
    free(s);
}

static const size_t sizes[] = { 0, 1, 2, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 100,
                                112, 113, 127, 128, 240, 241, 255, 256, 496, 497, 512, 1000,
                                1008, 1009, 1024, 2000, 2032, 2033, 2048, 4000, 4080, 4081,
                                4096, 8192, 65536, 100000, 1u << 20 };

static void test_sizes_aligned_writable_disjoint(void **state)
{
    u64 start = heap_bytes_in_use();
    struct obj objs[2 * ARRAY_SIZE(sizes)];
    size_t n = 0;

    /* Each size twice, so that objects of one class sit next to each other. */
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
            u64 before = heap_bytes_in_use();
            u8 *p = xmalloc(sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            assert_true(in_ram(p, sizes[i]));
            /* Accounted at least the object and its header. */
            assert_true(heap_bytes_in_use() - before >= sizes[i] + 16);
            fill(p, sizes[i], (u32)n);
            objs[n++] = (struct obj){ p, sizes[i] };
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!check_fill(objs[i].p, objs[i].size, (u32)i))
            fail_msg("object %zu (size %zu) was overwritten", i, objs[i].size);
    assert_disjoint(objs, n);
    for (size_t i = 0; i < n; i++)
        xfree(objs[i].p);
    assert_int_equal(heap_bytes_in_use(), start);
}

static void test_size_classes_accounting(void **state)
{
    /* 16-byte header; classes 32 .. 2048; above that whole pages (heap.c). */
    static const struct { size_t size; u64 charged; } t[] = {
        { 0, 32 }, { 1, 32 }, { 16, 32 }, { 17, 64 }, { 48, 64 }, { 49, 128 }, { 112, 128 },
        { 113, 256 }, { 240, 256 }, { 241, 512 }, { 1008, 1024 }, { 1009, 2048 },
        { 2032, 2048 }, { 2033, 4096 }, { 4080, 4096 }, { 4081, 8192 }, { 4096, 8192 },
        { 1u << 20, 2u << 20 },
    };
    u64 start = heap_bytes_in_use();

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        void *p = xmalloc(t[i].size);
        assert_non_null(p);
        if (heap_bytes_in_use() - start != t[i].charged)
            fail_msg("xmalloc(%zu) charged %llu bytes, want %llu", t[i].size,
                     (unsigned long long)(heap_bytes_in_use() - start),
                     (unsigned long long)t[i].charged);
        xfree(p);
        assert_int_equal(heap_bytes_in_use(), start);
    }
}

/* xorshift64*: reproducible. */
static u64 rng_state = 0x1234567887654321ull;
static u64 rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void test_random_churn(void **state)
{
    enum { N = 1500 };
    u64 start = heap_bytes_in_use();
    struct obj *objs = calloc(N, sizeof(*objs));
    u32 *ids = calloc(N, sizeof(*ids));
    u32 next_id = 1;

    for (int step = 0; step < 6000; step++) {
        size_t i = (size_t)(rng() % N);
        if (objs[i].p) {
            if (!check_fill(objs[i].p, objs[i].size, ids[i]))
                fail_msg("step %d: object %zu (size %zu) was overwritten", step, i, objs[i].size);
            xfree(objs[i].p);
            objs[i].p = NULL;
        } else {
            u64 r = rng();
            /* Mostly small sizes across every class, sometimes a few pages. */
            size_t size = (r & 15) == 0 ? (size_t)(r >> 8) % 20000 : (size_t)(r >> 8) % 2100;
            u8 *p = (r & 16) ? xzalloc(size) : xmalloc(size);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            assert_true(in_ram(p, size));
            if (r & 16)
                for (size_t k = 0; k < size; k++)
                    assert_int_equal(p[k], 0);
            ids[i] = next_id++;
            fill(p, size, ids[i]);
            objs[i] = (struct obj){ p, size };
        }
    }
    struct obj *live = calloc(N, sizeof(*live));
    size_t nl = 0;
    for (size_t i = 0; i < N; i++) {
        if (!objs[i].p)
            continue;
        assert_true(check_fill(objs[i].p, objs[i].size, ids[i]));
        live[nl++] = objs[i];
    }
    assert_true(nl > 100);
    assert_disjoint(live, nl);
    for (size_t i = 0; i < N; i++)
        xfree(objs[i].p);
    assert_int_equal(heap_bytes_in_use(), start);
    assert_true(frames_check());
    free(objs);
    free(ids);
    free(live);
}

static void test_xzalloc_zeroes_reused_memory(void **state)
{
    u8 *p = xmalloc(200);
    assert_non_null(p);
    memset(p, 0xff, 200);
    xfree(p);
    u8 *q = xzalloc(200);
    assert_ptr_equal(q, p);         /* the dirty slot is handed out again... */
    for (int i = 0; i < 200; i++)
        assert_int_equal(q[i], 0);  /* ...cleared */
    xfree(q);

    /* Large objects too. */
    p = xmalloc(6000);
    assert_non_null(p);
    memset(p, 0xee, 6000);
    xfree(p);
    q = xzalloc(6000);
    assert_non_null(q);
    for (int i = 0; i < 6000; i++)
        assert_int_equal(q[i], 0);
    xfree(q);
}

static void test_large_objects_return_frames(void **state)
{
    static const struct { size_t size; u64 frames; } t[] = {
        { 2033, 1 }, { 4080, 1 }, { 4081, 2 }, { 8192, 4 }, { 100000, 32 }, { 1u << 20, 512 },
        { (4u << 20) - 16, 1024 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        u64 start = frames_free_count(), bytes = heap_bytes_in_use();
        u8 *p = xmalloc(t[i].size);
        assert_non_null(p);
        assert_int_equal(frames_free_count(), start - t[i].frames);
        fill(p, t[i].size, 9);
        assert_true(check_fill(p, t[i].size, 9));
        xfree(p);
        assert_int_equal(frames_free_count(), start);
        assert_int_equal(heap_bytes_in_use(), bytes);
    }
    assert_true(frames_check());
}

static void test_alloc_pages(void **state)
{
    u64 start = frames_free_count();

    u8 *p = alloc_pages(0);
    assert_non_null(p);
    assert_true(in_ram(p, PAGE_SIZE));
    assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
    assert_int_equal(frames_free_count(), start - 1);
    assert_int_equal(frame_table[mfn_x(virt_to_mfn(p))].state, PGS_HV);
    for (size_t i = 0; i < PAGE_SIZE; i++)
        assert_int_equal(p[i], 0);
    memset(p, 0xab, PAGE_SIZE);
    free_pages(p, 0);
    assert_int_equal(frames_free_count(), start);

    u8 *q = alloc_pages(3);
    assert_non_null(q);
    assert_int_equal((uintptr_t)(q - shim_ram) % (8 * PAGE_SIZE), 0);
    assert_int_equal(frames_free_count(), start - 8);
    for (size_t i = 0; i < 8 * PAGE_SIZE; i++)
        if (q[i]) fail_msg("alloc_pages(3) byte %zu not zero", i);
    memset(q, 0xcd, 8 * PAGE_SIZE);
    free_pages(q, 3);
    assert_int_equal(frames_free_count(), start);

    /* Reused pages come back zeroed. */
    q = alloc_pages(3);
    for (size_t i = 0; i < 8 * PAGE_SIZE; i++)
        if (q[i]) fail_msg("reused alloc_pages(3) byte %zu not zero", i);
    free_pages(q, 3);

    free_pages(NULL, 0);
    free_pages(NULL, 5);
    assert_int_equal(frames_free_count(), start);
    assert_null(alloc_pages(FRAME_MAX_ORDER + 1));
    assert_null(alloc_pages(13));            /* 32 MiB: more than the machine */
    assert_int_equal(frames_free_count(), start);
    assert_true(frames_check());
}

static void test_xfree_null(void **state)
{
    u64 bytes = heap_bytes_in_use(), frames = frames_free_count();
    xfree(NULL);
    assert_int_equal(heap_bytes_in_use(), bytes);
    assert_int_equal(frames_free_count(), frames);
}

/* Call xfree(p) expecting a panic; returns the panic message. */
static const char *xfree_panics(void *p)
{
    jmp_buf jb;
    shim_panic_msg[0] = '\0';
    shim_panic_jmp = &jb;
    if (setjmp(jb) == 0) {
        xfree(p);
        shim_panic_jmp = NULL;
        fail_msg("xfree(%p) returned instead of panicking", p);
    }
    shim_panic_jmp = NULL;
    return shim_panic_msg;
}

static void test_double_free_panics(void **state)
{
    u64 bytes = heap_bytes_in_use();
    u8 *p = xmalloc(40);
    assert_non_null(p);
    xfree(p);
    const char *msg = xfree_panics(p);
    assert_non_null(strstr(msg, "xfree"));
    assert_non_null(strstr(msg, "not a live heap object"));
    assert_int_equal(heap_bytes_in_use(), bytes);

    /* The free list was not corrupted: two allocations, two distinct objects. */
    u8 *a = xmalloc(40), *b = xmalloc(40);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    xfree(a);
    xfree(b);
    assert_int_equal(heap_bytes_in_use(), bytes);

    /* A large object freed twice. */
    u64 frames = frames_free_count();
    p = xmalloc(10000);
    assert_non_null(p);
    xfree(p);
    assert_int_equal(frames_free_count(), frames);
    msg = xfree_panics(p);
    assert_non_null(strstr(msg, "xfree"));
    assert_int_equal(frames_free_count(), frames);
    assert_int_equal(heap_bytes_in_use(), bytes);
    assert_true(frames_check());
}

static void test_foreign_pointer_panics(void **state)
{
    /* Not from the heap at all. */
    static u8 buf[64] __attribute__((aligned(16)));
    memset(buf, 0, sizeof(buf));
    const char *msg = xfree_panics(buf + 16);
    assert_non_null(strstr(msg, "xfree"));

    /* Inside a live object, not its start. */
    u64 bytes = heap_bytes_in_use();
    u8 *p = xzalloc(256);
    assert_non_null(p);
    msg = xfree_panics(p + 32);
    assert_non_null(strstr(msg, "xfree"));
    assert_int_equal(heap_bytes_in_use(), bytes + 512);
    xfree(p);                       /* the object itself is still fine */
    assert_int_equal(heap_bytes_in_use(), bytes);

    /* A page from alloc_pages is no heap object either. */
    u8 *pg = alloc_pages(0);
    assert_non_null(pg);
    msg = xfree_panics(pg + 16);
    assert_non_null(strstr(msg, "xfree"));
    free_pages(pg, 0);
}

static void test_huge_size_refused(void **state)
{
    u64 bytes = heap_bytes_in_use(), frames = frames_free_count();

    assert_null(xmalloc((1ul << 30) + 1));
    assert_null(xmalloc((size_t)1 << 40));
    assert_null(xmalloc(SIZE_MAX));          /* size + header must not wrap */
    assert_null(xmalloc(SIZE_MAX - 15));
    assert_null(xzalloc(SIZE_MAX));
    assert_null(xmalloc(1ul << 30));         /* 1 GiB + header: beyond the largest block */
    assert_int_equal(heap_bytes_in_use(), bytes);
    assert_int_equal(frames_free_count(), frames);
}

static void test_out_of_memory(void **state)
{
    u64 bytes = heap_bytes_in_use(), frames = frames_free_count();

    /* Larger than what is free. */
    assert_null(xmalloc((size_t)(frames + 1) * PAGE_SIZE));

    /* Take every free frame. */
    u64 *held = malloc(NR_FRAMES * sizeof(u64));
    size_t nh = 0;
    for (;;) {
        mfn_t m = frames_alloc(0);
        if (mfn_x(m) == INVALID_MFN_RAW)
            break;
        held[nh++] = mfn_x(m);
    }
    assert_int_equal(nh, frames);
    assert_int_equal(frames_free_count(), 0);

    assert_null(xmalloc(1u << 20));
    assert_null(xmalloc(2033));
    assert_null(xzalloc(4096));
    assert_null(alloc_pages(0));

    /* Small objects: whatever the class lists still hold, then NULL. */
    static void *objs[4096];
    size_t n = 0;
    void *p;
    while ((p = xmalloc(1500)) != NULL) {
        assert_true(n < ARRAY_SIZE(objs));
        objs[n++] = p;
    }
    assert_null(xzalloc(1500));
    assert_int_equal(heap_bytes_in_use(), bytes + n * 2048);
    while (n)
        xfree(objs[--n]);
    assert_int_equal(heap_bytes_in_use(), bytes);

    /* Memory back: allocations work again. */
    while (nh)
        frames_free(_mfn(held[--nh]), 0);
    free(held);
    assert_int_equal(frames_free_count(), frames);
    p = xmalloc(1u << 20);
    assert_non_null(p);
    xfree(p);
    p = xmalloc(1500);
    assert_non_null(p);
    xfree(p);
    assert_int_equal(heap_bytes_in_use(), bytes);
    assert_true(frames_check());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_aligned_writable_disjoint),
        cmocka_unit_test(test_size_classes_accounting),
        cmocka_unit_test(test_random_churn),
        cmocka_unit_test(test_xzalloc_zeroes_reused_memory),
        cmocka_unit_test(test_large_objects_return_frames),
        cmocka_unit_test(test_alloc_pages),
        cmocka_unit_test(test_xfree_null),
        cmocka_unit_test(test_double_free_panics),
        cmocka_unit_test(test_foreign_pointer_panics),
        cmocka_unit_test(test_huge_size_refused),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
