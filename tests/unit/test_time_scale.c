/* test_time_scale.c - hypervisor/core/time_scale.c: the pvclock scale of a counter frequency. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "time.h"

static const u64 freqs[] = {
    1000000ull,             /* 1 MHz */
    14318000ull,            /* 14.318 MHz (HPET) */
    14318180ull,
    1000000000ull,          /* 1 GHz */
    1000000100ull,          /* 1.0000001 GHz */
    2100000000ull,          /* 2.1 GHz */
    3999000000ull,          /* 3.999 GHz */
    5000000000ull,          /* 5 GHz */
    10000000000ull,         /* 10 GHz */
    /* and the edges */
    1ull, 32768ull, 999999999ull, 1000000001ull, 2000000000ull, 2000000001ull,
    3579545ull, 0xffffffffull, 1000000000000ull,
    /* shifted right, these land on exactly 1e9 (the rate's lost low bits) */
    4000000002ull, 4000000003ull, 8000000007ull, 16000000008ull,
};

static u64 absdiff(u64 a, u64 b) { return a > b ? a - b : b - a; }

static void test_one_second_is_1e9_ns(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(freqs); i++) {
        struct time_scale s = time_scale_for(freqs[i]);
        u64 ns = scale_delta(freqs[i], s);
        if (absdiff(ns, 1000000000ull) > 1)
            fail_msg("%llu Hz: mul %u shift %d gives %llu ns per second",
                     (unsigned long long)freqs[i], s.mul, s.shift, (unsigned long long)ns);
    }
}

static void test_ten_seconds_within_10ppm(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(freqs); i++) {
        struct time_scale s = time_scale_for(freqs[i]);
        u64 ns = scale_delta(10 * freqs[i], s);
        /* 10 ppm of 1e10 ns is 100000 ns; the form is good to a few ns. */
        if (absdiff(ns, 10000000000ull) > 100000 || absdiff(ns, 10000000000ull) > 10)
            fail_msg("%llu Hz: 10 s of ticks gives %llu ns", (unsigned long long)freqs[i],
                     (unsigned long long)ns);
    }
}

static void test_mul_is_normalised(void **state)
{
    /* The rate shifted by 2^shift lies just about in (1e9, 2e9], so mul is in
     * [2^31, 2^32): as precise as a u32 gets, and within a few units of the
     * exact 1e9 * 2^32 / (rate * 2^shift). */
    for (size_t i = 0; i < ARRAY_SIZE(freqs); i++) {
        u64 f = freqs[i];
        struct time_scale s = time_scale_for(f);
        assert_true(s.mul >= 0x80000000u);
        unsigned __int128 num = (unsigned __int128)1000000000ull << 32, den = f;
        if (s.shift >= 0)
            den <<= s.shift;
        else
            num <<= -s.shift;
        /* rate * 2^shift in (1e9, 2e9 + 1), compared without losing bits */
        unsigned __int128 lo = 1000000000ull, hi = 2000000001ull;
        if (s.shift < 0) {
            lo <<= -s.shift;
            hi <<= -s.shift;
        }
        if (!(den > lo && den < hi))
            fail_msg("%llu Hz: shift %d puts the rate outside (1e9, 2e9]",
                     (unsigned long long)f, s.shift);
        u64 exact = (u64)(num / den);
        if (absdiff(s.mul, exact) > 8)
            fail_msg("%llu Hz: mul %u, exact %llu", (unsigned long long)f, s.mul,
                     (unsigned long long)exact);
    }
}

static void test_rate_shifted_onto_1e9(void **state)
{
    /* 2000000001 >> 1 == 1e9: the quotient 2^32 must not wrap to a mul of 0. */
    static const u64 f[] = { 2000000001ull, 4000000002ull, 4000000003ull, 8000000004ull,
                             8000000007ull };
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        struct time_scale s = time_scale_for(f[i]);
        assert_int_not_equal(s.mul, 0);
        assert_true(absdiff(scale_delta(f[i], s), 1000000000ull) <= 1);
        assert_true(absdiff(scale_delta(f[i] / 1000, s), 1000000ull) <= 1);
    }
}

static void test_shift_direction(void **state)
{
    assert_true(time_scale_for(1000000ull).shift > 0);
    assert_int_equal(time_scale_for(1000000000ull).shift, 1);
    assert_int_equal(time_scale_for(1000000001ull).shift, 0);
    assert_int_equal(time_scale_for(2000000000ull).shift, 0);
    assert_int_equal(time_scale_for(2000000001ull).shift, -1);
    assert_int_equal(time_scale_for(10000000000ull).shift, -3);
    assert_int_equal(time_scale_for(1ull).shift, 30);
}

static void test_exact_cases(void **state)
{
    /* 1 GHz: shift 1, mul 2^31, one tick is one ns exactly. */
    struct time_scale s = time_scale_for(1000000000ull);
    assert_int_equal(s.mul, 0x80000000u);
    assert_int_equal(scale_delta(1, s), 1);
    assert_int_equal(scale_delta(123456789, s), 123456789);
    /* 2 GHz: two ticks a ns. */
    s = time_scale_for(2000000000ull);
    assert_int_equal(s.mul, 0x80000000u);
    assert_int_equal(scale_delta(2000, s), 1000);
    /* 1 MHz: one tick is 1000 ns, to within 1 ns. */
    s = time_scale_for(1000000ull);
    assert_true(absdiff(scale_delta(1, s), 1000) <= 1);
    assert_true(absdiff(scale_delta(3600ull * 1000000ull, s), 3600ull * 1000000000ull) <= 4000);
}

static void test_monotonic(void **state)
{
    struct time_scale s = time_scale_for(2100000000ull);
    u64 prev = 0;
    for (u64 t = 0; t < 100000; t += 7) {
        u64 ns = scale_delta(t, s);
        assert_true(ns >= prev);
        prev = ns;
    }
}

static void test_zero_hz(void **state)
{
    struct time_scale s = time_scale_for(0);
    assert_int_equal(s.mul, 0);
    assert_int_equal(s.shift, 0);
    assert_int_equal(scale_delta(12345, s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_second_is_1e9_ns),
        cmocka_unit_test(test_ten_seconds_within_10ppm),
        cmocka_unit_test(test_mul_is_normalised),
        cmocka_unit_test(test_rate_shifted_onto_1e9),
        cmocka_unit_test(test_shift_direction),
        cmocka_unit_test(test_exact_cases),
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_zero_hz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
