/* test_memmap.c - hypervisor/core/memmap.c: sorting and merging the boot memory map. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "bootinfo.h"

static struct boot_info bi;

struct r { u64 start, end; u32 type; };

static void load(const struct r *rs, unsigned int n)
{
    memset(&bi, 0x5a, sizeof(bi));          /* stale entries past nr_mem must not matter */
    bi.nr_mem = n;
    for (unsigned int i = 0; i < n; i++)
        bi.mem[i] = (struct boot_mem_range){ rs[i].start, rs[i].end, rs[i].type };
}

static void expect(const struct r *rs, unsigned int n)
{
    if (bi.nr_mem != n)
        fail_msg("%u ranges, want %u", bi.nr_mem, n);
    for (unsigned int i = 0; i < n; i++)
        if (bi.mem[i].start != rs[i].start || bi.mem[i].end != rs[i].end || bi.mem[i].type != rs[i].type)
            fail_msg("range %u: [%#llx, %#llx) type %u, want [%#llx, %#llx) type %u", i,
                     (unsigned long long)bi.mem[i].start, (unsigned long long)bi.mem[i].end,
                     bi.mem[i].type, (unsigned long long)rs[i].start,
                     (unsigned long long)rs[i].end, rs[i].type);
}

#define LOAD(...) do { static const struct r in_[] = { __VA_ARGS__ }; load(in_, ARRAY_SIZE(in_)); } while (0)
#define EXPECT(...) do { static const struct r out_[] = { __VA_ARGS__ }; expect(out_, ARRAY_SIZE(out_)); } while (0)

static void test_empty_map(void **state)
{
    load(NULL, 0);
    bootinfo_sort_memmap(&bi);
    assert_int_equal(bi.nr_mem, 0);
}

static void test_single_range(void **state)
{
    LOAD({ 0x100000, 0x8000000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0x100000, 0x8000000, MEM_RAM });
}

static void test_sorts_unsorted(void **state)
{
    LOAD({ 0x100000, 0x7fe0000, MEM_RAM },
         { 0xfffc0000, 0x100000000, MEM_RESERVED },
         { 0, 0x9fc00, MEM_RAM },
         { 0x7fe0000, 0x8000000, MEM_ACPI },
         { 0xf0000, 0x100000, MEM_RESERVED },
         { 0x9fc00, 0xa0000, MEM_RESERVED });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x9fc00, MEM_RAM },
           { 0x9fc00, 0xa0000, MEM_RESERVED },
           { 0xf0000, 0x100000, MEM_RESERVED },
           { 0x100000, 0x7fe0000, MEM_RAM },
           { 0x7fe0000, 0x8000000, MEM_ACPI },
           { 0xfffc0000, 0x100000000, MEM_RESERVED });
}

static void test_reverse_order_full_map(void **state)
{
    struct r rs[BOOT_MEM_MAX];
    for (unsigned int i = 0; i < BOOT_MEM_MAX; i++) {
        u64 k = BOOT_MEM_MAX - 1 - i;
        /* Alternating types so that nothing merges. */
        rs[i] = (struct r){ k * 0x10000, k * 0x10000 + 0x8000, k % 2 ? MEM_RAM : MEM_RESERVED };
    }
    load(rs, BOOT_MEM_MAX);
    bootinfo_sort_memmap(&bi);
    assert_int_equal(bi.nr_mem, BOOT_MEM_MAX);
    for (unsigned int i = 0; i < BOOT_MEM_MAX; i++) {
        assert_int_equal(bi.mem[i].start, (u64)i * 0x10000);
        assert_int_equal(bi.mem[i].end, (u64)i * 0x10000 + 0x8000);
        assert_int_equal(bi.mem[i].type, i % 2 ? MEM_RAM : MEM_RESERVED);
    }
}

static void test_merges_adjacent(void **state)
{
    LOAD({ 0x2000, 0x3000, MEM_RAM }, { 0, 0x1000, MEM_RAM }, { 0x1000, 0x2000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x3000, MEM_RAM });
}

static void test_merges_overlapping(void **state)
{
    /* Partial overlap: the union. */
    LOAD({ 0x1000, 0x5000, MEM_RAM }, { 0, 0x2000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x5000, MEM_RAM });

    /* Contained: the outer range keeps its end. */
    LOAD({ 0, 0x10000, MEM_RESERVED }, { 0x1000, 0x2000, MEM_RESERVED });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x10000, MEM_RESERVED });

    /* Duplicates. */
    LOAD({ 0x1000, 0x2000, MEM_ACPI }, { 0x1000, 0x2000, MEM_ACPI }, { 0x1000, 0x2000, MEM_ACPI });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0x1000, 0x2000, MEM_ACPI });

    /* A chain where only the union of earlier ranges reaches the next one. */
    LOAD({ 0x4000, 0x6000, MEM_RAM }, { 0x1000, 0x2000, MEM_RAM }, { 0, 0x4000, MEM_RAM },
         { 0x3000, 0x3800, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x6000, MEM_RAM });
}

static void test_gap_not_merged(void **state)
{
    LOAD({ 0x1001, 0x2000, MEM_RAM }, { 0, 0x1000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x1000, MEM_RAM }, { 0x1001, 0x2000, MEM_RAM });
}

static void test_different_types_kept_apart(void **state)
{
    LOAD({ 0x2000, 0x3000, MEM_RAM }, { 0x1000, 0x2000, MEM_RESERVED }, { 0, 0x1000, MEM_RAM },
         { 0x3000, 0x4000, MEM_NVS }, { 0x4000, 0x5000, MEM_BAD }, { 0x5000, 0x6000, MEM_NVS });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x1000, MEM_RAM }, { 0x1000, 0x2000, MEM_RESERVED }, { 0x2000, 0x3000, MEM_RAM },
           { 0x3000, 0x4000, MEM_NVS }, { 0x4000, 0x5000, MEM_BAD }, { 0x5000, 0x6000, MEM_NVS });

    /* Overlapping ranges of different types are not merged into each other either. */
    LOAD({ 0x1000, 0x3000, MEM_RESERVED }, { 0, 0x2000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x2000, MEM_RAM }, { 0x1000, 0x3000, MEM_RESERVED });
}

static void test_merge_then_keep_types(void **state)
{
    /* A typical firmware map split into pieces, shuffled. */
    LOAD({ 0x100000, 0x800000, MEM_RAM }, { 0xa0000, 0x100000, MEM_RESERVED },
         { 0x800000, 0x1000000, MEM_RAM }, { 0, 0x9f000, MEM_RAM }, { 0x9f000, 0xa0000, MEM_RESERVED },
         { 0x1000000, 0x7ff0000, MEM_RAM }, { 0x7ff0000, 0x8000000, MEM_ACPI },
         { 0x100000000, 0x180000000, MEM_RAM });
    bootinfo_sort_memmap(&bi);
    EXPECT({ 0, 0x9f000, MEM_RAM }, { 0x9f000, 0x100000, MEM_RESERVED },
           { 0x100000, 0x7ff0000, MEM_RAM }, { 0x7ff0000, 0x8000000, MEM_ACPI },
           { 0x100000000, 0x180000000, MEM_RAM });
}

static u64 rng_state = 0xfeedfacecafebeefull;
static u64 rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

/* One type, random ranges: the result is exactly their union, as sorted,
 * non-touching ranges. */
static void test_random_union(void **state)
{
    enum { UNITS = 512 };
    for (int iter = 0; iter < 300; iter++) {
        bool want[UNITS + 1] = { false };
        unsigned int n = 1 + (unsigned int)(rng() % BOOT_MEM_MAX);
        bi.nr_mem = n;
        for (unsigned int i = 0; i < n; i++) {
            u64 s = rng() % UNITS, len = 1 + rng() % 16;
            u64 e = MIN(s + len, (u64)UNITS);
            bi.mem[i] = (struct boot_mem_range){ s * 0x1000, e * 0x1000, MEM_RAM };
            for (u64 u = s; u < e; u++)
                want[u] = true;
        }
        bootinfo_sort_memmap(&bi);

        bool got[UNITS + 1] = { false };
        for (unsigned int i = 0; i < bi.nr_mem; i++) {
            const struct boot_mem_range *m = &bi.mem[i];
            assert_int_equal(m->type, MEM_RAM);
            assert_true(m->start < m->end);
            if (i)
                assert_true(bi.mem[i - 1].end < m->start);   /* sorted, apart */
            for (u64 a = m->start; a < m->end; a += 0x1000)
                got[a / 0x1000] = true;
        }
        assert_memory_equal(got, want, sizeof(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_single_range),
        cmocka_unit_test(test_sorts_unsorted),
        cmocka_unit_test(test_reverse_order_full_map),
        cmocka_unit_test(test_merges_adjacent),
        cmocka_unit_test(test_merges_overlapping),
        cmocka_unit_test(test_gap_not_merged),
        cmocka_unit_test(test_different_types_kept_apart),
        cmocka_unit_test(test_merge_then_keep_types),
        cmocka_unit_test(test_random_union),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
