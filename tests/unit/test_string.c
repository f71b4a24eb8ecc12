/* test_string.c - hypervisor/lib/string.c: string helpers and parse_u64. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "lib.h"

/* A heap copy of n bytes with no terminator after them: ASan reports any read past. */
static char *unterminated(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void test_strlen(void **state)
{
    assert_int_equal(strlen(""), 0);
    assert_int_equal(strlen("a"), 1);
    assert_int_equal(strlen("hello, world"), 12);
    assert_int_equal(strlen("ab\0cd"), 2);
    assert_int_equal(strlen("\xff\x80"), 2);

    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(strlen(big), sizeof(big) - 1);
}

static void test_strnlen(void **state)
{
    assert_int_equal(strnlen("hello", 10), 5);
    assert_int_equal(strnlen("hello", 5), 5);
    assert_int_equal(strnlen("hello", 3), 3);
    assert_int_equal(strnlen("hello", 0), 0);
    assert_int_equal(strnlen("", 4), 0);
    assert_int_equal(strnlen("ab\0cd", 5), 2);

    /* Reads no further than max. */
    char *p = unterminated("abcdef", 6);
    assert_int_equal(strnlen(p, 6), 6);
    assert_int_equal(strnlen(p, 4), 4);
    free(p);
}

static void test_strcmp(void **state)
{
    assert_int_equal(strcmp("", ""), 0);
    assert_int_equal(strcmp("abc", "abc"), 0);
    assert_true(strcmp("abc", "abd") < 0);
    assert_true(strcmp("abd", "abc") > 0);
    assert_true(strcmp("ab", "abc") < 0);
    assert_true(strcmp("abc", "ab") > 0);
    assert_true(strcmp("", "a") < 0);
    assert_true(strcmp("a", "") > 0);
    assert_int_equal(strcmp("ab\0x", "ab\0y"), 0);
}

static void test_strcmp_unsigned_bytes(void **state)
{
    /* Bytes >= 0x80 compare above ASCII, as unsigned char (C says so). */
    assert_true(strcmp("\x80", "\x7f") > 0);
    assert_true(strcmp("\x7f", "\x80") < 0);
    assert_true(strcmp("a\xff", "a\x01") > 0);
    assert_true(strcmp("\xfe", "\xff") < 0);
    assert_true(strcmp("\x80", "") > 0);
    assert_int_equal(strcmp("\xc3\xa9", "\xc3\xa9"), 0);
}

static void test_strncmp(void **state)
{
    assert_int_equal(strncmp("abc", "abd", 0), 0);
    assert_int_equal(strncmp("abc", "abd", 2), 0);
    assert_true(strncmp("abc", "abd", 3) < 0);
    assert_true(strncmp("abd", "abc", 100) > 0);
    assert_true(strncmp("ab", "abc", 3) < 0);
    assert_int_equal(strncmp("ab", "abc", 2), 0);
    /* Stops at the terminator even when n is larger. */
    assert_int_equal(strncmp("ab\0x", "ab\0y", 4), 0);
    assert_int_equal(strncmp("", "", 10), 0);
    /* Unsigned bytes. */
    assert_true(strncmp("\x80", "\x7f", 1) > 0);
    assert_true(strncmp("x\x01", "x\xf0", 5) < 0);

    /* Reads no further than n. */
    char *a = unterminated("abcd", 4), *b = unterminated("abcd", 4);
    assert_int_equal(strncmp(a, b, 4), 0);
    free(a);
    free(b);
}

static void test_strchr(void **state)
{
    const char *s = "hello, world";

    assert_ptr_equal(strchr(s, 'h'), s);
    assert_ptr_equal(strchr(s, 'o'), s + 4);          /* the first one */
    assert_ptr_equal(strchr(s, 'd'), s + 11);
    assert_null(strchr(s, 'z'));
    assert_null(strchr("", 'a'));
    /* Searching for the terminator finds it. */
    assert_ptr_equal(strchr(s, '\0'), s + 12);
    const char *e = "";
    assert_ptr_equal(strchr(e, '\0'), e);
    /* Nothing found past the terminator. */
    assert_null(strchr("ab\0c", 'c'));
    /* c is converted to char: high bytes and values above 255. */
    const char *h = "a\x80\xff";
    assert_ptr_equal(strchr(h, 0x80), h + 1);
    assert_ptr_equal(strchr(h, 0xff), h + 2);
    assert_ptr_equal(strchr(h, 0x180), h + 1);
    assert_ptr_equal(strchr(h, -1), h + 2);
}

static void test_strlcpy(void **state)
{
    char buf[16];

    memset(buf, '#', sizeof(buf));
    assert_int_equal(strlcpy(buf, "hello", sizeof(buf)), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(buf[6], '#');                   /* nothing written after the NUL */

    /* Truncated: size - 1 bytes and a NUL; the return value is strlen(src). */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(strlcpy(buf, "hello, world", 6), 12);
    assert_string_equal(buf, "hello");
    assert_int_equal(buf[6], '#');

    /* Exactly fitting, and one short. */
    assert_int_equal(strlcpy(buf, "abc", 4), 3);
    assert_string_equal(buf, "abc");
    assert_int_equal(strlcpy(buf, "abcd", 4), 4);
    assert_string_equal(buf, "abc");

    /* size 1: just the NUL. */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(strlcpy(buf, "xyz", 1), 3);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], '#');

    /* size 0: nothing written at all (dst may even be NULL). */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(strlcpy(buf, "xyz", 0), 3);
    assert_int_equal(buf[0], '#');
    assert_int_equal(strlcpy(NULL, "xyz", 0), 3);

    /* Empty source. */
    memset(buf, '#', sizeof(buf));
    assert_int_equal(strlcpy(buf, "", sizeof(buf)), 0);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(buf[1], '#');

    /* Exactly-sized heap destination: ASan catches a write past it. */
    char *d = malloc(4);
    assert_non_null(d);
    assert_int_equal(strlcpy(d, "a much longer string", 4), 20);
    assert_string_equal(d, "a m");
    free(d);
}

/* parse_u64 of a whole C string; *out left alone on failure (checked). */
static size_t parse(const char *s, u64 *out)
{
    *out = 0x5a5a5a5a5a5a5a5aull;
    return parse_u64(s, strlen(s), out);
}

static void test_parse_u64_decimal(void **state)
{
    u64 v;

    assert_int_equal(parse("0", &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(parse("7", &v), 1);
    assert_int_equal(v, 7);
    assert_int_equal(parse("1234567890", &v), 10);
    assert_int_equal(v, 1234567890ull);
    assert_int_equal(parse("000123", &v), 6);      /* leading zeros: still decimal */
    assert_int_equal(v, 123);
    assert_int_equal(parse("4294967296", &v), 10);
    assert_int_equal(v, 4294967296ull);
}

static void test_parse_u64_hex(void **state)
{
    u64 v;

    assert_int_equal(parse("0x0", &v), 3);
    assert_int_equal(v, 0);
    assert_int_equal(parse("0x10", &v), 4);
    assert_int_equal(v, 16);
    assert_int_equal(parse("0XaBcDeF", &v), 8);
    assert_int_equal(v, 0xabcdef);
    assert_int_equal(parse("0xdeadbeefcafe", &v), 14);
    assert_int_equal(v, 0xdeadbeefcafeull);
    assert_int_equal(parse("0x00000000000000000001", &v), 22);   /* leading zeros don't overflow */
    assert_int_equal(v, 1);
}

static void test_parse_u64_stops_at_non_digit(void **state)
{
    u64 v;

    assert_int_equal(parse("123abc", &v), 3);     /* hex letters are not decimal digits */
    assert_int_equal(v, 123);
    assert_int_equal(parse("42 ", &v), 2);
    assert_int_equal(v, 42);
    assert_int_equal(parse("256M", &v), 3);
    assert_int_equal(v, 256);
    assert_int_equal(parse("0x1fg", &v), 4);
    assert_int_equal(v, 0x1f);
    assert_int_equal(parse("0y12", &v), 1);       /* "0", then not a hex prefix */
    assert_int_equal(v, 0);
    assert_int_equal(parse("9-1", &v), 1);
    assert_int_equal(v, 9);
}

static void test_parse_u64_respects_len(void **state)
{
    u64 v = 0;

    assert_int_equal(parse_u64("12345", 3, &v), 3);
    assert_int_equal(v, 123);
    /* "0x10" cut to one byte is the decimal "0". */
    assert_int_equal(parse_u64("0x10", 1, &v), 1);
    assert_int_equal(v, 0);
    /* Cut to "0x": no digits. */
    v = 77;
    assert_int_equal(parse_u64("0x10", 2, &v), 0);
    assert_int_equal(v, 77);
    /* No terminator needed. */
    char *p = unterminated("98765", 5);
    assert_int_equal(parse_u64(p, 5, &v), 5);
    assert_int_equal(v, 98765);
    free(p);
    assert_int_equal(parse_u64("5", 0, &v), 0);
}

static void test_parse_u64_syntax_errors(void **state)
{
    static const char *const bad[] = { "", "0x", "0X", "x1", "abc", " 1", "+1", "-1", "0xg", "0x 1" };
    u64 v;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(parse(bad[i], &v), 0);
        assert_int_equal(v, 0x5a5a5a5a5a5a5a5aull);   /* *out untouched */
    }
}

static void test_parse_u64_limits(void **state)
{
    u64 v;

    assert_int_equal(parse("18446744073709551615", &v), 20);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(parse("0xffffffffffffffff", &v), 18);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(parse("18446744073709551610", &v), 20);
    assert_int_equal(v, UINT64_MAX - 5);

    /* UINT64_MAX + 1 and beyond: overflow is an error, not a wrap. */
    assert_int_equal(parse("18446744073709551616", &v), 0);
    assert_int_equal(v, 0x5a5a5a5a5a5a5a5aull);
    assert_int_equal(parse("18446744073709551620", &v), 0);
    assert_int_equal(parse("99999999999999999999", &v), 0);
    assert_int_equal(parse("184467440737095516150", &v), 0);
    assert_int_equal(parse("0x10000000000000000", &v), 0);
    assert_int_equal(parse("0xfffffffffffffffff", &v), 0);
    /* Overflow is caught even when a non-digit follows. */
    assert_int_equal(parse("18446744073709551616K", &v), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strlen),
        cmocka_unit_test(test_strnlen),
        cmocka_unit_test(test_strcmp),
        cmocka_unit_test(test_strcmp_unsigned_bytes),
        cmocka_unit_test(test_strncmp),
        cmocka_unit_test(test_strchr),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_parse_u64_decimal),
        cmocka_unit_test(test_parse_u64_hex),
        cmocka_unit_test(test_parse_u64_stops_at_non_digit),
        cmocka_unit_test(test_parse_u64_respects_len),
        cmocka_unit_test(test_parse_u64_syntax_errors),
        cmocka_unit_test(test_parse_u64_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
