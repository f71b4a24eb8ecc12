/* test_vsnprintf.c - hypervisor/lib/vsnprintf.c: printf formatting, checked
 * against the C library's for every format it has in common with it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The C library's vsnprintf, captured before host.h renames the name. */
static int libc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return vsnprintf(buf, size, fmt, ap);
}

#include "host.h"
#include "lib.h"

#define BUF     512
#define CANARY  0xa5

static unsigned int checks;

/*
 * Format with both implementations and compare: same output, same return
 * value (the full length), and for every buffer size from 0 to beyond the
 * length the hypervisor's output is the full output cut to size - 1 bytes and
 * NUL-terminated, with nothing written past size.
 */
static void vcheck(int line, const char *fmt, va_list ap)
{
    char want[BUF], got[BUF + 8];
    va_list a;

    va_copy(a, ap);
    int wlen = libc_vsnprintf(want, sizeof(want), fmt, a);
    va_end(a);
    if (wlen < 0 || wlen >= BUF - 8)
        fail_msg("line %d: bad test format \"%s\"", line, fmt);

    memset(got, CANARY, sizeof(got));
    va_copy(a, ap);
    int glen = vsnprintf(got, BUF, fmt, a);
    va_end(a);
    if (glen != wlen || memcmp(got, want, (size_t)wlen + 1) != 0)
        fail_msg("line %d: format \"%s\": got \"%s\" (%d), C library \"%s\" (%d)",
                 line, fmt, got, glen, want, wlen);

    for (size_t size = 0; size <= (size_t)wlen + 2; size++) {
        memset(got, CANARY, sizeof(got));
        va_copy(a, ap);
        glen = vsnprintf(got, size, fmt, a);
        va_end(a);
        if (glen != wlen)
            fail_msg("line %d: format \"%s\" size %zu: returned %d, want %d",
                     line, fmt, size, glen, wlen);
        size_t keep = size ? MIN(size - 1, (size_t)wlen) : 0;
        if (size && (memcmp(got, want, keep) != 0 || got[keep] != '\0'))
            fail_msg("line %d: format \"%s\" size %zu: wrong truncated output", line, fmt, size);
        for (size_t i = size ? keep + 1 : 0; i < sizeof(got); i++)
            if ((u8)got[i] != CANARY)
                fail_msg("line %d: format \"%s\" size %zu: wrote byte %zu", line, fmt, size, i);
    }
    checks++;
}

static void check_fmt(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vcheck(line, fmt, ap);
    va_end(ap);
}

#define CHECK(...) check_fmt(__LINE__, __VA_ARGS__)

/* Through the va_list entry point, as printk calls it (and without the
 * compiler checking formats that are wrong on purpose). */
static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static const int int_values[] = { 0, 1, -1, 7, -7, 42, -42, 99, 100, 123456, -987654,
                                  INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1 };

static const char *const int_formats[] = {
    "%d", "%i", "%1d", "%5d", "%12d", "%-5d|", "%-12i|", "%05d", "%012d", "%+d", "% d",
    "%+5d", "%+05d", "% 05d", "%-+6d|", "%- 6d|", "%+ d", "% +d", "%-05d|", "%.0d", "%.1d",
    "%.3d", "%.12d", "%8.3d", "%-8.3d|", "%08.3d", "%+.0d", "% .0d", "%5.0d", "%-5.0d|",
    "%+08.4d", "%0-8d|", "%00005d", "<%d>", "%d%d",
};

static void test_signed_int(void **state)
{
    for (size_t f = 0; f < ARRAY_SIZE(int_formats); f++)
        for (size_t v = 0; v < ARRAY_SIZE(int_values); v++)
            CHECK(int_formats[f], int_values[v], int_values[v]);
}

static const unsigned int uint_values[] = { 0, 1, 7, 8, 9, 10, 15, 16, 255, 256, 511, 512,
                                            4096, 0xdeadbeefu, 0x80000000u, UINT_MAX };

static const char *const uint_formats[] = {
    "%u", "%x", "%X", "%o", "%#x", "%#X", "%#o", "%5u", "%-5u|", "%05u", "%10x", "%-10X|",
    "%010o", "%#10x", "%#010x", "%#-10x|", "%#10o", "%#010o", "%.0u", "%.0x", "%.0o",
    "%#.0x", "%#.0o", "%#.3o", "%#5.3o", "%#.1o", "%#.2o", "%#.8x", "%#12.8X", "%08.3x",
    "%#08.3x", "%+u", "% u", "%+x", "% o", "%.10u", "%-12.10o|", "%5.0x",
};

static void test_unsigned_int(void **state)
{
    for (size_t f = 0; f < ARRAY_SIZE(uint_formats); f++)
        for (size_t v = 0; v < ARRAY_SIZE(uint_values); v++)
            CHECK(uint_formats[f], uint_values[v]);
}

static void test_long_long(void **state)
{
    static const long long sv[] = { 0, 1, -1, 4294967296LL, -4294967297LL, INT64_MAX, INT64_MIN,
                                    INT64_MIN + 1, 1000000000000000000LL };
    static const unsigned long long uv[] = { 0, 1, 4294967296ULL, 0x123456789abcdefULL,
                                             INT64_MAX, (unsigned long long)INT64_MAX + 1,
                                             UINT64_MAX - 1, UINT64_MAX };
    static const char *const sfmt[] = { "%lld", "%lli", "%+lld", "% lld", "%25lld", "%-25lld|",
                                        "%025lld", "%.21lld", "%+.0lld", "%ld", "%li", "%-+22ld|",
                                        "%jd", "%td", "%zd" };
    static const char *const ufmt[] = { "%llu", "%llx", "%llX", "%llo", "%#llx", "%#llX", "%#llo",
                                        "%030llo", "%#30llo", "%-#30llx|", "%.20llx", "%lu", "%lx",
                                        "%#lo", "%zu", "%zx", "%#zX", "%ju", "%jx" };

    for (size_t f = 0; f < ARRAY_SIZE(sfmt); f++)
        for (size_t v = 0; v < ARRAY_SIZE(sv); v++)
            CHECK(sfmt[f], sv[v]);
    for (size_t f = 0; f < ARRAY_SIZE(ufmt); f++)
        for (size_t v = 0; v < ARRAY_SIZE(uv); v++)
            CHECK(ufmt[f], uv[v]);

    /* The extremes spelled out, independently of the C library. */
    char buf[64];
    assert_int_equal(snprintf(buf, sizeof(buf), "%lld", (long long)INT64_MIN), 20);
    assert_string_equal(buf, "-9223372036854775808");
    assert_int_equal(snprintf(buf, sizeof(buf), "%llu", (unsigned long long)UINT64_MAX), 20);
    assert_string_equal(buf, "18446744073709551615");
    snprintf(buf, sizeof(buf), "%#llo", (unsigned long long)UINT64_MAX);
    assert_string_equal(buf, "01777777777777777777777");
    snprintf(buf, sizeof(buf), "%llX", (unsigned long long)UINT64_MAX);
    assert_string_equal(buf, "FFFFFFFFFFFFFFFF");
}

static void test_short_and_char_lengths(void **state)
{
    static const int values[] = { 0, 1, -1, 127, 128, 200, 255, 256, -128, -129, 32767, 32768,
                                  65535, 65536, 70000, -70000, INT_MIN, INT_MAX };
    static const char *const fmts[] = { "%hd", "%hi", "%hu", "%hx", "%hX", "%ho", "%#hx",
                                        "%hhd", "%hhi", "%hhu", "%hhx", "%hhX", "%hho", "%#hho",
                                        "%+hhd", "%5hhd", "%-6hd|", "%06hu" };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(values); v++)
            CHECK(fmts[f], values[v]);

    char buf[16];
    call_vsnprintf(buf, sizeof(buf), "%hhd", 200);
    assert_string_equal(buf, "-56");
    call_vsnprintf(buf, sizeof(buf), "%hu", -1);
    assert_string_equal(buf, "65535");
}

static void test_char(void **state)
{
    static const char *const fmts[] = { "%c", "%1c", "%3c", "%-3c|", "[%c]", "%c%c" };
    static const int values[] = { 'A', 'z', ' ', '%', 0x7f, 0x80, 0xff, 'A' + 256 };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(values); v++)
            CHECK(fmts[f], values[v], values[v]);

    /* %c of 0 writes a NUL byte and counts it. */
    char buf[8];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(snprintf(buf, sizeof(buf), "a%cb", 0), 3);
    assert_memory_equal(buf, "a\0b", 4);
}

static void test_string(void **state)
{
    static const char *const strs[] = { "", "a", "hello", "hello, world", "0123456789abcdef" };
    static const char *const fmts[] = { "%s", "%1s", "%10s", "%-10s|", "%.0s", "%.1s", "%.3s",
                                        "%.20s", "%10.3s", "%-10.3s|", "%3.10s", "[%s]", "%s%s" };

    for (size_t f = 0; f < ARRAY_SIZE(fmts); f++)
        for (size_t v = 0; v < ARRAY_SIZE(strs); v++)
            CHECK(fmts[f], strs[v], strs[v]);
}

static void test_string_precision_reads_no_further(void **state)
{
    /* Not NUL-terminated: a precision must stop the read (ASan watches). */
    char *s = malloc(3);
    assert_non_null(s);
    memcpy(s, "abc", 3);
    char buf[16];
    assert_int_equal(snprintf(buf, sizeof(buf), "%.3s|%.2s|%.*s", s, s, 1, s), 8);
    assert_string_equal(buf, "abc|ab|a");
    free(s);
}

static void test_null_string(void **state)
{
    const char *volatile null = NULL;
    char buf[32];

    assert_int_equal(snprintf(buf, sizeof(buf), "%s", null), 6);
    assert_string_equal(buf, "(null)");
    assert_int_equal(snprintf(buf, sizeof(buf), "[%8s]", null), 10);
    assert_string_equal(buf, "[  (null)]");
    assert_int_equal(snprintf(buf, sizeof(buf), "[%-8s]", null), 10);
    assert_string_equal(buf, "[(null)  ]");
    assert_int_equal(snprintf(buf, sizeof(buf), "%.3s", null), 3);
    assert_string_equal(buf, "(nu");
}

static void test_star_width_and_precision(void **state)
{
    static const int widths[] = { -12, -5, -1, 0, 1, 5, 12 };
    static const int precs[] = { -3, -1, 0, 1, 2, 4, 9 };

    for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
        CHECK("%*d|", widths[w], 42);
        CHECK("%*d|", widths[w], -42);
        CHECK("%-*d|", widths[w], 42);
        CHECK("%0*d|", widths[w], -42);
        CHECK("%*x|", widths[w], 0xbeefu);
        CHECK("%*s|", widths[w], "abc");
        CHECK("%*c|", widths[w], 'q');
        for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
            CHECK("%*.*d|", widths[w], precs[p], 42);
            CHECK("%*.*d|", widths[w], precs[p], 0);
            CHECK("%0*.*d|", widths[w], precs[p], -7);
            CHECK("%*.*s|", widths[w], precs[p], "abcdef");
            CHECK("%#*.*o|", widths[w], precs[p], 8u);
        }
    }
    for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
        CHECK("%.*d|", precs[p], 0);
        CHECK("%.*u|", precs[p], 123u);
        CHECK("%.*s|", precs[p], "hello");
        CHECK("%05.*d|", precs[p], 3);
    }

    char buf[32];
    snprintf(buf, sizeof(buf), "[%*d]", -6, 12);
    assert_string_equal(buf, "[12    ]");
    snprintf(buf, sizeof(buf), "[%.*s]", -1, "whole");
    assert_string_equal(buf, "[whole]");
}

static void test_percent_and_literals(void **state)
{
    CHECK("%%");
    CHECK("100%%");
    CHECK("%%d%%s%%");
    CHECK("");
    CHECK("plain text, no conversions");
    CHECK("a%db%sc%xd%ce%%f", -3, "mid", 0xabu, 'Z');
    CHECK("%s=%d (%#x) %-4s|%5.2s|", "key", 10, 10u, "ab", "xyz");
    CHECK("%lld %llu %hhd %zu %c %s", (long long)INT64_MIN, (unsigned long long)UINT64_MAX,
          -1, (size_t)SIZE_MAX, '!', "end");
}

static void test_return_value_is_full_length(void **state)
{
    char buf[4];

    assert_int_equal(snprintf(NULL, 0, "%1000d", 1), 1000);
    assert_int_equal(snprintf(buf, sizeof(buf), "%s", "a long string"), 13);
    assert_string_equal(buf, "a l");
    assert_int_equal(snprintf(buf, 1, "%d", 12345), 5);
    assert_string_equal(buf, "");
    assert_int_equal(snprintf(buf, 2, "x%sy", "abc"), 5);
    assert_string_equal(buf, "x");
    /* size 0: nothing written at all */
    memset(buf, 'q', sizeof(buf));
    assert_int_equal(snprintf(buf, 0, "%s", "abc"), 3);
    assert_memory_equal(buf, "qqqq", 4);
}

static void test_vsnprintf_va_list(void **state)
{
    char buf[64];
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), "%d-%s-%llx", 5, "five", 0x5ULL), 8);
    assert_string_equal(buf, "5-five-5");
    assert_int_equal(call_vsnprintf(buf, 5, "%d-%s", 5, "five"), 6);
    assert_string_equal(buf, "5-fi");
}

static void test_pointer(void **state)
{
    char want[64], got[64];
    void *ptrs[] = { (void *)0x1, (void *)0x1234, (void *)0xdeadbeef,
                     (void *)0xffff800000000000ull, (void *)UINTPTR_MAX, &checks };

    /* Non-NULL pointers: 0x and lower-case hex, as the C library prints them. */
    for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++) {
        CHECK("%p", ptrs[i]);
        CHECK("%20p|", ptrs[i]);
        CHECK("%-20p|", ptrs[i]);
        CHECK("[%p %p]", ptrs[i], ptrs[i]);
    }
    snprintf(got, sizeof(got), "%p", (void *)0xabcdef);
    assert_string_equal(got, "0xabcdef");
    snprintf(got, sizeof(got), "%p", (void *)0xffff800000000000ull);
    assert_string_equal(got, "0xffff800000000000");

    /* NULL differs from glibc's "(nil)" by design: a plain 0 (the '#' rule of %x). */
    void *volatile null = NULL;
    assert_int_equal(snprintf(got, sizeof(got), "%p", null), 1);
    assert_string_equal(got, "0");
    snprintf(got, sizeof(got), "[%4p]", null);
    assert_string_equal(got, "[   0]");
    snprintf(got, sizeof(got), "[%-4p]", null);
    assert_string_equal(got, "[0   ]");

    /* Flags other than '-' do not change %p. */
    snprintf(want, sizeof(want), "%p", (void *)0x1234);
    snprintf(got, sizeof(got), "%p", (void *)0x1234);
    assert_string_equal(got, want);
    const char *volatile fmt = "%+ #p";
    snprintf(got, sizeof(got), fmt, (void *)0x1234);
    assert_string_equal(got, "0x1234");
    fmt = "%08p";
    snprintf(got, sizeof(got), fmt, (void *)0x1234);
    assert_string_equal(got, "  0x1234");
}

static void test_unknown_conversion_printed_as_written(void **state)
{
    char buf[32];
    const char *fmt;

    fmt = "a%yb";
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt), 4);
    assert_string_equal(buf, "a%yb");
    fmt = "[%-5.2y]";
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt), 8);
    assert_string_equal(buf, "[%-5.2y]");
    /* A lone '%' at the end of the format. */
    fmt = "end%";
    memset(buf, 'q', sizeof(buf));
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt), 4);
    assert_memory_equal(buf, "end%\0q", 6);   /* the format's own NUL is not output */
    assert_int_equal(call_vsnprintf(buf, 4, fmt), 4);
    assert_string_equal(buf, "end");
    fmt = "%-0";
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt), 3);
    assert_string_equal(buf, "%-0");
    fmt = "%5";
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt), 2);
    assert_string_equal(buf, "%5");
    /* Conversions after an unknown one still consume their arguments in order. */
    fmt = "%y%d%s";
    assert_int_equal(call_vsnprintf(buf, sizeof(buf), fmt, 7, "x"), 4);
    assert_string_equal(buf, "%y7x");
}

static void test_checks_ran(void **state)
{
    /* Guard against the table loops silently running nothing. */
    assert_true(checks > 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_int),
        cmocka_unit_test(test_unsigned_int),
        cmocka_unit_test(test_long_long),
        cmocka_unit_test(test_short_and_char_lengths),
        cmocka_unit_test(test_char),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_string_precision_reads_no_further),
        cmocka_unit_test(test_null_string),
        cmocka_unit_test(test_star_width_and_precision),
        cmocka_unit_test(test_percent_and_literals),
        cmocka_unit_test(test_return_value_is_full_length),
        cmocka_unit_test(test_vsnprintf_va_list),
        cmocka_unit_test(test_pointer),
        cmocka_unit_test(test_unknown_conversion_printed_as_written),
        cmocka_unit_test(test_checks_ran),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
