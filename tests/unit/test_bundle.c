/* test_bundle.c - hypervisor/core/bundle.c: the cpio newc parser of the boot bundle. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "lib.h"
#include "bundle.h"

#define S_FILE  0100644u
#define S_DIR   0040755u
#define S_LINK  0120777u
#define S_CHR   0020644u

/* ---- building archives ---- */

struct ar {
    u8 *buf;
    size_t len, cap;
    u8 *exact;          /* the copy handed to bundle_open, exactly len bytes */
    u32 ino;
};

static void put(struct ar *a, const void *p, size_t n)
{
    if (!n)
        return;
    if (a->len + n > a->cap) {
        a->cap = (a->len + n) * 2 + 256;
        a->buf = realloc(a->buf, a->cap);
        assert_non_null(a->buf);
    }
    memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void pad4(struct ar *a)
{
    static const u8 zero[4];
    put(a, zero, (4 - a->len % 4) % 4);
}

static void put_hex8(struct ar *a, u32 v)
{
    char s[8];
    for (int i = 7; i >= 0; i--, v >>= 4)
        s[i] = "0123456789ABCDEF"[v & 15];
    put(a, s, 8);
}

/* A 110-byte header: magic, then ino mode uid gid nlink mtime filesize devmajor
 * devminor rdevmajor rdevminor namesize check. */
static void put_header(struct ar *a, const char *magic, u32 mode, u32 filesize, u32 namesize)
{
    u32 f[13] = { ++a->ino, mode, 0, 0, 1, 0x60000000u, filesize, 0, 0, 0, 0, namesize, 0 };
    put(a, magic, 6);
    for (int i = 0; i < 13; i++)
        put_hex8(a, f[i]);
}

/* An entry with every size field given explicitly (for the broken ones). */
static void put_entry_raw(struct ar *a, u32 mode, const void *name, size_t name_bytes, u32 namesize,
                          const void *data, size_t data_bytes, u32 filesize)
{
    put_header(a, "070701", mode, filesize, namesize);
    put(a, name, name_bytes);
    pad4(a);
    put(a, data, data_bytes);
    pad4(a);
}

static void put_entry(struct ar *a, u32 mode, const char *name, const void *data, size_t size)
{
    size_t n = strlen(name) + 1;
    put_entry_raw(a, mode, name, n, (u32)n, data, size, (u32)size);
}

static void put_file(struct ar *a, const char *name, const char *text)
{
    put_entry(a, S_FILE, name, text, strlen(text));
}

static void put_trailer(struct ar *a)
{
    put_entry(a, 0, "TRAILER!!!", NULL, 0);
}

static void ar_free(struct ar *a)
{
    free(a->buf);
    free(a->exact);
    memset(a, 0, sizeof(*a));
}

/* Open a copy of exactly a->len bytes: ASan reports a read past the end. */
static int open_ar(struct ar *a, struct bundle *b, char *err, size_t errlen)
{
    free(a->exact);
    a->exact = malloc(a->len ? a->len : 1);
    assert_non_null(a->exact);
    memcpy(a->exact, a->buf, a->len);
    err[0] = '\0';
    return bundle_open(b, a->exact, a->len, err, errlen);
}

/* bundle_open must refuse, leave no entries, and say why. */
static void expect_error(struct ar *a, const char *what)
{
    struct bundle b;
    char err[256];
    struct bundle_entry e;

    int r = open_ar(a, &b, err, sizeof(err));
    if (r != -1)
        fail_msg("bundle_open accepted a bad bundle (wanted \"%s\")", what);
    assert_int_equal(b.nr_entries, 0);
    assert_false(bundle_entry_at(&b, 0, &e));
    assert_false(bundle_find(&b, "a", &e));
    if (!strstr(err, what))
        fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void expect_entry(const struct bundle_entry *e, const char *name, u32 mode,
                         const void *data, size_t size)
{
    assert_string_equal(e->name, name);
    assert_int_equal(e->mode, mode);
    assert_int_equal(e->size, size);
    if (size)
        assert_memory_equal(e->data, data, size);
}

/* ---- well-formed bundles ---- */

static void test_several_entries(void **state)
{
    struct ar a = { 0 };
    u8 blob[1001];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (u8)(i * 13 + 5);
    const char *cfg = "[domain demo]\nkernel = demo\nmemory = 32M\n";

    put_file(&a, "tern.cfg", cfg);
    put_entry(&a, S_DIR, "images", NULL, 0);
    put_entry(&a, S_FILE, "images/demo", blob, sizeof(blob));
    put_entry(&a, S_FILE, "empty", NULL, 0);
    /* Names and data of every length mod 4, so every padding case occurs. */
    put_file(&a, "a", "1");
    put_file(&a, "bb", "22");
    put_file(&a, "ccc", "333");
    put_file(&a, "dddd", "4444");
    put_file(&a, "eeeee", "55555");
    put_trailer(&a);

    struct bundle b;
    char err[128];
    assert_int_equal(open_ar(&a, &b, err, sizeof(err)), 0);
    assert_int_equal(b.nr_entries, 9);

    struct bundle_entry e;
    assert_true(bundle_entry_at(&b, 0, &e));
    expect_entry(&e, "tern.cfg", S_FILE, cfg, strlen(cfg));
    assert_int_equal(e.offset, 0);
    assert_ptr_equal(e.data, a.exact + 120);        /* 110 + 9 bytes of name, padded */
    assert_true(bundle_entry_at(&b, 1, &e));
    expect_entry(&e, "images", S_DIR, NULL, 0);
    assert_true(bundle_entry_at(&b, 2, &e));
    expect_entry(&e, "images/demo", S_FILE, blob, sizeof(blob));
    assert_true(bundle_entry_at(&b, 3, &e));
    expect_entry(&e, "empty", S_FILE, NULL, 0);
    assert_true(bundle_entry_at(&b, 8, &e));
    expect_entry(&e, "eeeee", S_FILE, "55555", 5);
    assert_int_equal(e.offset % 4, 0);
    assert_ptr_equal(e.name, (const char *)a.exact + e.offset + 110);
    /* Out of range, and the trailer is no entry. */
    assert_false(bundle_entry_at(&b, 9, &e));
    assert_false(bundle_entry_at(&b, 1000, &e));

    assert_true(bundle_find(&b, "images/demo", &e));
    expect_entry(&e, "images/demo", S_FILE, blob, sizeof(blob));
    assert_true(bundle_find(&b, "ccc", &e));
    expect_entry(&e, "ccc", S_FILE, "333", 3);
    assert_true(bundle_find(&b, "tern.cfg", &e));
    assert_true(bundle_find(&b, "empty", &e));
    assert_int_equal(e.size, 0);
    assert_false(bundle_find(&b, "TRAILER!!!", &e));
    assert_false(bundle_find(&b, "missing", &e));
    assert_false(bundle_find(&b, "image", &e));          /* no prefix matches */
    assert_false(bundle_find(&b, "images/demo2", &e));
    assert_false(bundle_find(&b, "", &e));
    ar_free(&a);
}

static void test_empty_archive(void **state)
{
    struct ar a = { 0 };
    put_trailer(&a);
    struct bundle b;
    char err[128];
    struct bundle_entry e;
    assert_int_equal(open_ar(&a, &b, err, sizeof(err)), 0);
    assert_int_equal(b.nr_entries, 0);
    assert_false(bundle_entry_at(&b, 0, &e));
    assert_false(bundle_find(&b, "tern.cfg", &e));
    ar_free(&a);
}

static void test_trailing_zero_padding(void **state)
{
    struct ar a = { 0 };
    static const u8 zeros[1000];
    put_file(&a, "x", "data");
    put_trailer(&a);
    put(&a, zeros, 3);                  /* any amount, not only 4-byte multiples */
    put(&a, zeros, sizeof(zeros));
    struct bundle b;
    char err[128];
    assert_int_equal(open_ar(&a, &b, err, sizeof(err)), 0);
    assert_int_equal(b.nr_entries, 1);
    struct bundle_entry e;
    assert_true(bundle_find(&b, "x", &e));
    expect_entry(&e, "x", S_FILE, "data", 4);
    ar_free(&a);
}

static void test_crc_magic_and_lower_case_hex(void **state)
{
    struct ar a = { 0 };
    put_file(&a, "one", "abc");
    put_trailer(&a);
    a.buf[5] = '2';                     /* "070702": newc with checksums */
    /* Lower-case hex digits: mode 0x81A4 (0100644) written as 000081a4. */
    assert_memory_equal(a.buf + 14, "000081A4", 8);
    memcpy(a.buf + 14, "000081a4", 8);
    struct bundle b;
    char err[128];
    assert_int_equal(open_ar(&a, &b, err, sizeof(err)), 0);
    struct bundle_entry e;
    assert_true(bundle_entry_at(&b, 0, &e));
    assert_int_equal(e.mode, S_FILE);
    ar_free(&a);
}

static void test_longest_name_and_most_entries(void **state)
{
    struct ar a = { 0 };
    char name[BUNDLE_NAME_MAX + 1];
    memset(name, 'n', BUNDLE_NAME_MAX);
    name[BUNDLE_NAME_MAX] = '\0';
    put_file(&a, name, "long");                             /* namesize 256 */
    for (int i = 1; i < BUNDLE_MAX_ENTRIES; i++) {
        char n[16];
        snprintf(n, sizeof(n), "f%d", i);
        put_file(&a, n, n);
    }
    put_trailer(&a);
    struct bundle b;
    char err[128];
    assert_int_equal(open_ar(&a, &b, err, sizeof(err)), 0);
    assert_int_equal(b.nr_entries, BUNDLE_MAX_ENTRIES);
    struct bundle_entry e;
    assert_true(bundle_find(&b, name, &e));
    expect_entry(&e, name, S_FILE, "long", 4);
    assert_true(bundle_entry_at(&b, BUNDLE_MAX_ENTRIES - 1, &e));
    expect_entry(&e, "f255", S_FILE, "f255", 4);
    assert_true(bundle_find(&b, "f128", &e));
    ar_free(&a);
}

/* ---- refused bundles ---- */

static void test_no_bundle(void **state)
{
    struct bundle b;
    char err[128];
    static const u8 one[4] = "0707";

    assert_int_equal(bundle_open(&b, NULL, 100, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no boot bundle"));
    assert_int_equal(b.nr_entries, 0);
    err[0] = '\0';
    assert_int_equal(bundle_open(&b, one, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no boot bundle"));
}

static void test_truncated_header(void **state)
{
    struct ar a = { 0 };
    put_file(&a, "x", "data");
    put_trailer(&a);
    a.len = 50;                         /* inside the first header */
    expect_error(&a, "header at offset 0x0 needs 110 bytes, 50 left");
    ar_free(&a);

    /* The second header cut short. */
    put_file(&a, "x", "data");          /* 110 + 2 -> 112, + 4 -> 116 bytes */
    put_trailer(&a);
    a.len = 116 + 60;
    expect_error(&a, "header at offset 0x74 needs 110 bytes, 60 left");
    ar_free(&a);
}

static void test_bad_magic(void **state)
{
    static const char *const magics[] = { "070707", "070700", "070703", "170701", "07070",
                                          "\0\0\0\0\0\0" };
    for (size_t i = 0; i < ARRAY_SIZE(magics); i++) {
        struct ar a = { 0 };
        put_file(&a, "x", "data");
        put_trailer(&a);
        memcpy(a.buf, magics[i], 6);
        expect_error(&a, "no cpio newc magic at offset 0x0");
        ar_free(&a);
    }
    /* Bad magic in a later header. */
    struct ar a = { 0 };
    put_file(&a, "x", "data");
    put_trailer(&a);
    a.buf[116] = 'X';
    expect_error(&a, "no cpio newc magic at offset 0x74");
    ar_free(&a);
}

static void test_bad_hex_digit(void **state)
{
    static const struct { int field; int digit; char c; } t[] = {
        { 0, 0, 'G' }, { 1, 3, ' ' }, { 6, 7, 'x' }, { 11, 0, '-' }, { 12, 7, '\0' },
        { 6, 2, 'g' }, { 3, 4, '+' },
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        struct ar a = { 0 };
        char want[64];
        put_file(&a, "x", "data");
        put_trailer(&a);
        a.buf[6 + 8 * t[i].field + t[i].digit] = (u8)t[i].c;
        snprintf(want, sizeof(want), "bad hex field %d in header at offset 0x0", t[i].field);
        expect_error(&a, want);
        ar_free(&a);
    }
}

static void test_name_size_out_of_range(void **state)
{
    static const u32 sizes[] = { 0, 1, BUNDLE_NAME_MAX + 2, 1000, 0xffffffffu };
    char name[300];
    memset(name, 'a', sizeof(name));
    name[sizeof(name) - 1] = '\0';

    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        struct ar a = { 0 };
        char want[64];
        put_entry_raw(&a, S_FILE, name, sizeof(name), sizes[i], "d", 1, 1);
        put_trailer(&a);
        snprintf(want, sizeof(want), "name size %u at offset 0x0 (must be 2..256)", sizes[i]);
        expect_error(&a, want);
        ar_free(&a);
    }
}

static void test_name_without_nul(void **state)
{
    struct ar a = { 0 };
    /* namesize 4 covers "abcd": no terminator inside it. */
    put_entry_raw(&a, S_FILE, "abcdXYZ", 7, 4, "data", 4, 4);
    put_trailer(&a);
    expect_error(&a, "is not one NUL-terminated string");
    ar_free(&a);
}

static void test_name_with_interior_nul(void **state)
{
    struct ar a = { 0 };
    put_entry_raw(&a, S_FILE, "ab\0d", 5, 5, "data", 4, 4);
    put_trailer(&a);
    expect_error(&a, "is not one NUL-terminated string");
    ar_free(&a);

    /* A trailer name with something after its NUL is no trailer either. */
    put_file(&a, "x", "1");
    put_entry_raw(&a, 0, "TRAILER!!!\0z", 13, 13, NULL, 0, 0);
    expect_error(&a, "at offset 0x74 is not one NUL-terminated string");
    ar_free(&a);
}

static void test_name_past_end(void **state)
{
    struct ar a = { 0 };
    put_header(&a, "070701", S_FILE, 0, 200);
    put(&a, "only-a-few-bytes", 16);
    expect_error(&a, "name of entry at offset 0x0 runs past the end");
    ar_free(&a);

    /* Name complete but its padding missing, in a later entry. */
    put_file(&a, "x", "1");                 /* 116 bytes */
    put_header(&a, "070701", S_FILE, 0, 5);
    put(&a, "name", 5);                     /* header + name = 115, padding to 116 cut */
    expect_error(&a, "name of entry at offset 0x74 runs past the end");
    ar_free(&a);
}

static void test_file_past_end(void **state)
{
    struct ar a = { 0 };
    put_entry_raw(&a, S_FILE, "big", 4, 4, "0123456789", 10, 1000);
    put_trailer(&a);
    /* 1000 bytes claimed; after the data offset (116) only 10 + 124 are left. */
    expect_error(&a, "'big' needs 1000 bytes, 136 left");
    ar_free(&a);

    /* Claims exactly one byte more than the archive holds. */
    put_entry_raw(&a, S_FILE, "big", 4, 4, "0123", 4, 5);
    expect_error(&a, "'big' needs 5 bytes, 4 left");
    ar_free(&a);
}

static void test_filesize_overflow(void **state)
{
    struct ar a = { 0 };
    put_entry_raw(&a, S_FILE, "huge", 5, 5, "abcd", 4, 0xffffffffu);
    put_trailer(&a);
    expect_error(&a, "'huge' needs 4294967295 bytes");
    ar_free(&a);

    /* Both sizes at their maximum. */
    put_header(&a, "070701", S_FILE, 0xffffffffu, 0xffffffffu);
    put(&a, "x\0\0", 4);
    put_trailer(&a);
    expect_error(&a, "name size 4294967295");
    ar_free(&a);
}

static void test_missing_trailer(void **state)
{
    struct ar a = { 0 };
    put_file(&a, "one", "1");
    put_file(&a, "two", "22");
    expect_error(&a, "ends after 2 entries without the cpio trailer");
    ar_free(&a);

    /* A trailer misspelled is an ordinary entry. */
    put_file(&a, "one", "1");
    put_entry(&a, S_FILE, "TRAILER!!", NULL, 0);
    expect_error(&a, "without the cpio trailer");
    ar_free(&a);
}

static void test_garbage_after_trailer(void **state)
{
    struct ar a = { 0 };
    static const u8 zeros[40];
    put_file(&a, "x", "data");
    put_trailer(&a);                    /* ends at 116 + 124 = 240 */
    put(&a, zeros, sizeof(zeros));
    put(&a, "\x01", 1);
    expect_error(&a, "data after the cpio trailer at offset 0x118");
    ar_free(&a);

    /* A second archive appended. */
    put_file(&a, "x", "data");
    put_trailer(&a);
    put_file(&a, "y", "more");
    put_trailer(&a);
    expect_error(&a, "data after the cpio trailer at offset 0xf0");
    ar_free(&a);
}

static void test_duplicate_name(void **state)
{
    struct ar a = { 0 };
    put_file(&a, "a", "1");
    put_file(&a, "b", "2");
    put_file(&a, "c", "3");
    put_file(&a, "b", "4");
    put_trailer(&a);
    expect_error(&a, "'b' appears twice");
    ar_free(&a);

    /* A directory and a file of the same name. */
    put_entry(&a, S_DIR, "images", NULL, 0);
    put_entry(&a, S_FILE, "images", "x", 1);
    put_trailer(&a);
    expect_error(&a, "'images' appears twice");
    ar_free(&a);
}

static void test_neither_file_nor_directory(void **state)
{
    static const struct { u32 mode; const char *want; } t[] = {
        { S_LINK, "'n' is neither a file nor a directory (mode 0120777)" },
        { S_CHR, "'n' is neither a file nor a directory (mode 020644)" },
        { 0060600, "(mode 060600)" },           /* block device */
        { 0010644, "(mode 010644)" },           /* fifo */
        { 0140755, "(mode 0140755)" },          /* socket */
        { 0000644, "(mode 0644)" },             /* no type */
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        struct ar a = { 0 };
        put_file(&a, "ok", "1");
        put_entry(&a, t[i].mode, "n", "target", 6);
        put_trailer(&a);
        expect_error(&a, t[i].want);
        ar_free(&a);
    }
}

static void test_too_many_entries(void **state)
{
    struct ar a = { 0 };
    for (int i = 0; i <= BUNDLE_MAX_ENTRIES; i++) {
        char n[16];
        snprintf(n, sizeof(n), "f%d", i);
        put_file(&a, n, "");
    }
    put_trailer(&a);
    expect_error(&a, "more than 256 entries");
    ar_free(&a);
}

static void test_error_message_truncated(void **state)
{
    struct ar a = { 0 };
    put_file(&a, "x", "data");
    put_trailer(&a);
    a.buf[0] = 'X';
    struct bundle b;
    char err[20];
    memset(err, '#', sizeof(err));
    assert_int_equal(open_ar(&a, &b, err, 12), -1);
    assert_string_equal(err, "bundle corr");          /* 11 bytes and a NUL */
    assert_int_equal(err[12], '#');
    ar_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_several_entries),
        cmocka_unit_test(test_empty_archive),
        cmocka_unit_test(test_trailing_zero_padding),
        cmocka_unit_test(test_crc_magic_and_lower_case_hex),
        cmocka_unit_test(test_longest_name_and_most_entries),
        cmocka_unit_test(test_no_bundle),
        cmocka_unit_test(test_truncated_header),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_hex_digit),
        cmocka_unit_test(test_name_size_out_of_range),
        cmocka_unit_test(test_name_without_nul),
        cmocka_unit_test(test_name_with_interior_nul),
        cmocka_unit_test(test_name_past_end),
        cmocka_unit_test(test_file_past_end),
        cmocka_unit_test(test_filesize_overflow),
        cmocka_unit_test(test_missing_trailer),
        cmocka_unit_test(test_garbage_after_trailer),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_neither_file_nor_directory),
        cmocka_unit_test(test_too_many_entries),
        cmocka_unit_test(test_error_message_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
