/* test_cmdline.c - hypervisor/core/cmdline.c: key=value words of a command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "cmdline.h"

static void test_get_value(void **state)
{
    char buf[32];
    assert_string_equal(cmdline_get("a=1 loglevel=debug b", "loglevel", buf, sizeof(buf)), "debug");
    assert_string_equal(cmdline_get("x=1", "x", buf, sizeof(buf)), "1");
}

static void test_last_wins(void **state)
{
    char buf[32];
    assert_string_equal(cmdline_get("k=1 k=2\tk=3", "k", buf, sizeof(buf)), "3");
}

static void test_prefix_is_not_a_match(void **state)
{
    char buf[32];
    assert_null(cmdline_get("kk=1 k2=3", "k", buf, sizeof(buf)));
    assert_false(cmdline_has("loglevelx", "loglevel"));
}

static void test_flag_without_value(void **state)
{
    char buf[32];
    assert_true(cmdline_has("a noreboot b", "noreboot"));
    assert_null(cmdline_get("a noreboot b", "noreboot", buf, sizeof(buf)));
    assert_false(cmdline_has("", "noreboot"));
}

static void test_value_truncated_to_buffer(void **state)
{
    char buf[4];
    assert_string_equal(cmdline_get("k=abcdefgh", "k", buf, sizeof(buf)), "abc");
    assert_null(cmdline_get("k=abc", "k", buf, 0));
}

static void test_empty_value(void **state)
{
    char buf[8];
    assert_string_equal(cmdline_get("k=", "k", buf, sizeof(buf)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_value),
        cmocka_unit_test(test_last_wins),
        cmocka_unit_test(test_prefix_is_not_a_match),
        cmocka_unit_test(test_flag_without_value),
        cmocka_unit_test(test_value_truncated_to_buffer),
        cmocka_unit_test(test_empty_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
