/* test_config.c - hypervisor/core/config.c: the system config parser and validator. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "host.h"
#include "lib.h"
#include "config.h"

#define FILE_NAME "sys.cfg"

static struct tern_config cfg;
static char err[512];

/* ---- helpers ---- */

/* A growing text buffer, kept in an exactly-sized heap copy for parsing. */
struct text {
    char *s;
    size_t len;
};

__printf(2, 3) static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    t->s = realloc(t->s, t->len + (size_t)n + 1);
    assert_non_null(t->s);
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Parse len bytes from an exactly-sized copy (no terminator: ASan sees overreads). */
static int parse_n(const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    memset(err, 0, sizeof(err));
    int r = config_parse(copy, len, FILE_NAME, &cfg, err, sizeof(err));
    free(copy);
    return r;
}

static int parse(const char *text)
{
    return parse_n(text, strlen(text));
}

static void expect_ok(const char *text)
{
    if (parse(text) != 0)
        fail_msg("config refused: %s\n--- config:\n%s", err, text);
}

/* Refused, with "sys.cfg:LINE: " first and `what` somewhere in the message. */
static void expect_error_n(const char *text, size_t len, unsigned int line, const char *what)
{
    char prefix[64];
    if (parse_n(text, len) != -1)
        fail_msg("config accepted, wanted line %u: %s", line, what);
    snprintf(prefix, sizeof(prefix), FILE_NAME ":%u: ", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
    if (!strstr(err, what))
        fail_msg("error \"%s\" does not mention \"%s\"", err, what);
}

static void expect_error(const char *text, unsigned int line, const char *what)
{
    expect_error_n(text, strlen(text), line, what);
}

#define IMG  "[image demo]\nfile = demo.elf\n"

/* ---- accepted configs ---- */

static const char full_example[] =
    "# Tern system config\n"                            /* 1 */
    "; a comment of the other kind\n"                   /* 2 */
    "\n"                                                /* 3 */
    "[hypervisor]\n"                                    /* 4 */
    "cmdline = loglevel=debug console=com1\n"           /* 5 */
    "\n"                                                /* 6 */
    "[image demo]\n"                                    /* 7 */
    "file = ../build/guests/demo/demo.elf\n"            /* 8 */
    "   \t\n"                                           /* 9 */
    "[image initrd.v2]\n"                               /* 10 */
    "file=\"rootfs with spaces.cpio\"\n"                /* 11 */
    "\n"                                                /* 12 */
    "[domain demo]\n"                                   /* 13 */
    "  kernel  = demo\n"                                /* 14 */
    "memory\t=\t32M   \n"                               /* 15 */
    "cmdline = \"  quiet  \"\n"                         /* 16 */
    "    # indented comment\n"                          /* 17 */
    "[domain Second_dom-1]\n"                           /* 18 */
    "kernel=demo\n"                                     /* 19 */
    "ramdisk = initrd.v2\n"                             /* 20 */
    "memory = 1GiB\n"                                   /* 21 */
    "vcpus = 4\n"                                       /* 22 */
    "cmdline = root=/dev/ram0 a=\"b c\" console=hvc0\n"; /* 23 */

static void check_full_example(void)
{
    assert_string_equal(cfg.hv_cmdline, "loglevel=debug console=com1");
    assert_int_equal(cfg.nr_images, 2);
    assert_string_equal(cfg.images[0].name, "demo");
    assert_string_equal(cfg.images[0].file, "../build/guests/demo/demo.elf");
    assert_int_equal(cfg.images[0].line, 7);
    assert_string_equal(cfg.images[1].name, "initrd.v2");
    assert_string_equal(cfg.images[1].file, "rootfs with spaces.cpio");
    assert_int_equal(cfg.images[1].line, 10);

    assert_int_equal(cfg.nr_domains, 2);
    const struct cfg_domain *d = &cfg.domains[0];
    assert_string_equal(d->name, "demo");
    assert_string_equal(d->kernel, "demo");
    assert_string_equal(d->ramdisk, "");
    assert_string_equal(d->cmdline, "  quiet  ");       /* quotes keep the spaces */
    assert_int_equal(d->memory, MiB(32));
    assert_int_equal(d->vcpus, 1);                      /* the default */
    assert_int_equal(d->line, 13);

    d = &cfg.domains[1];
    assert_string_equal(d->name, "Second_dom-1");
    assert_string_equal(d->kernel, "demo");
    assert_string_equal(d->ramdisk, "initrd.v2");
    assert_string_equal(d->cmdline, "root=/dev/ram0 a=\"b c\" console=hvc0");
    assert_int_equal(d->memory, GiB(1));
    assert_int_equal(d->vcpus, 4);
    assert_int_equal(d->line, 18);
}

static void test_full_example(void **state)
{
    expect_ok(full_example);
    check_full_example();
}

static void test_crlf_line_endings(void **state)
{
    struct text t = { 0 };
    for (const char *p = full_example; *p; p++) {
        if (*p == '\n')
            add(&t, "\r\n");
        else
            add(&t, "%c", *p);
    }
    expect_ok(t.s);
    check_full_example();
    /* Line numbers still count lines. */
    char *bad = strstr(t.s, "vcpus = 4");
    memcpy(bad, "vcpus = 0", 9);
    expect_error(t.s, 22, "vcpus: 0 is out of range");
    free(t.s);
}

static void test_no_final_newline_and_empty(void **state)
{
    expect_ok(IMG "[domain d]\nkernel = demo\nmemory = 16M");
    assert_int_equal(cfg.domains[0].memory, MiB(16));

    expect_ok("");
    assert_int_equal(cfg.nr_images, 0);
    assert_int_equal(cfg.nr_domains, 0);
    expect_ok("\n\n# only comments\n;\n#\n");
    expect_ok("[hypervisor]\n");
    assert_string_equal(cfg.hv_cmdline, "");
}

static void test_reparse_starts_clean(void **state)
{
    expect_ok(full_example);
    expect_ok("[image x]\nfile = y\n");
    assert_int_equal(cfg.nr_images, 1);
    assert_int_equal(cfg.nr_domains, 0);
    assert_string_equal(cfg.hv_cmdline, "");
}

static void test_memory_suffixes(void **state)
{
    static const struct { const char *v; u64 bytes; } t[] = {
        { "1M", MiB(1) }, { "1m", MiB(1) }, { "1MiB", MiB(1) }, { "1MB", MiB(1) },
        { "1024K", MiB(1) }, { "1024k", MiB(1) }, { "4096KiB", MiB(4) }, { "2048KB", MiB(2) },
        { "3G", GiB(3) }, { "3g", GiB(3) }, { "2GiB", GiB(2) }, { "1T", GiB(1024) },
        { "1TiB", GiB(1024) }, { "1048576", MiB(1) }, { "0x100000", MiB(1) },
        { "0x10M", MiB(16) }, { "1052672", MiB(1) + 4096 }, { "\"64M\"", MiB(64) },
        { "1073741824K", GiB(1024) },
    };
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        char text[128];
        snprintf(text, sizeof(text), IMG "[domain d]\nkernel = demo\nmemory = %s\n", t[i].v);
        expect_ok(text);
        if (cfg.domains[0].memory != t[i].bytes)
            fail_msg("memory = %s: %llu bytes, want %llu", t[i].v,
                     (unsigned long long)cfg.domains[0].memory, (unsigned long long)t[i].bytes);
    }
}

static void test_limits_accepted(void **state)
{
    struct text t = { 0 };
    char name31[32];
    memset(name31, 'n', 31);
    name31[31] = '\0';

    add(&t, "[hypervisor]\ncmdline = ");
    for (int i = 0; i < CFG_CMDLINE_MAX - 1; i++)
        add(&t, "%c", 'a' + i % 26);
    add(&t, "\n[image %s]\nfile = f\n[domain %s]\nkernel = %s\nmemory = 1T\nvcpus = 64\n",
        name31, name31, name31);
    expect_ok(t.s);
    assert_int_equal(strlen(cfg.hv_cmdline), CFG_CMDLINE_MAX - 1);
    assert_string_equal(cfg.images[0].name, name31);
    assert_string_equal(cfg.domains[0].kernel, name31);
    assert_int_equal(cfg.domains[0].vcpus, 64);
    assert_int_equal(cfg.domains[0].memory, GiB(1024));
    free(t.s);

    /* 32 images and 32 domains. */
    t = (struct text){ 0 };
    for (int i = 0; i < CFG_MAX_IMAGES; i++)
        add(&t, "[image i%d]\nfile = f%d\n", i, i);
    for (int i = 0; i < CFG_MAX_DOMAINS; i++)
        add(&t, "[domain d%d]\nkernel = i%d\nmemory = 1M\nvcpus = 1\n", i, i);
    expect_ok(t.s);
    assert_int_equal(cfg.nr_images, CFG_MAX_IMAGES);
    assert_int_equal(cfg.nr_domains, CFG_MAX_DOMAINS);
    assert_string_equal(cfg.domains[31].kernel, "i31");
    free(t.s);

    /* A line of exactly CFG_LINE_MAX bytes. */
    t = (struct text){ 0 };
    add(&t, "#");
    for (int i = 1; i < CFG_LINE_MAX; i++)
        add(&t, "x");
    add(&t, "\n" IMG);
    expect_ok(t.s);
    free(t.s);
}

static void test_empty_optional_values(void **state)
{
    expect_ok("[hypervisor]\ncmdline =\n" IMG "[domain d]\nkernel = demo\nmemory = 1M\ncmdline = \"\"\n");
    assert_string_equal(cfg.hv_cmdline, "");
    assert_string_equal(cfg.domains[0].cmdline, "");
}

static void test_config_find_image(void **state)
{
    expect_ok(full_example);
    const struct cfg_image *img = config_find_image(&cfg, "demo");
    assert_ptr_equal(img, &cfg.images[0]);
    img = config_find_image(&cfg, "initrd.v2");
    assert_ptr_equal(img, &cfg.images[1]);
    assert_string_equal(img->file, "rootfs with spaces.cpio");
    assert_null(config_find_image(&cfg, "dem"));
    assert_null(config_find_image(&cfg, "demo2"));
    assert_null(config_find_image(&cfg, "DEMO"));
    assert_null(config_find_image(&cfg, ""));
    assert_null(config_find_image(&cfg, "Second_dom-1"));   /* a domain, not an image */
}

static void test_config_parse_size(void **state)
{
    static const struct { const char *s; u64 v; } good[] = {
        { "0", 0 }, { "4096", 4096 }, { "256M", MiB(256) }, { "1G", GiB(1) }, { "64KiB", KiB(64) },
        { "64kB", KiB(64) }, { "2t", GiB(2048) }, { "0x1000", 4096 }, { "0x2K", KiB(2) },
        { "18446744073709551615", UINT64_MAX }, { "16777215T", 16777215ull << 40 },
        { "17179869183G", 17179869183ull << 30 },
    };
    static const char *const bad[] = {
        "", "M", "KiB", "-1", " 1", "1 ", "1.5G", "1X", "1Ki", "1MiBx", "1MBB", "1iB", "1GG",
        "0x", "0xM", "16777216T", "17179869184G", "18446744073709551616", "1P",
    };
    u64 v;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        v = 12345;
        if (!config_parse_size(good[i].s, &v) || v != good[i].v)
            fail_msg("config_parse_size(\"%s\") = %llu, want %llu", good[i].s,
                     (unsigned long long)v, (unsigned long long)good[i].v);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (config_parse_size(bad[i], &v))
            fail_msg("config_parse_size(\"%s\") accepted (%llu)", bad[i], (unsigned long long)v);
}

/* ---- refused configs, one per rule ---- */

static void test_key_outside_section(void **state)
{
    expect_error("# comment\n\nkernel = demo\n", 3, "'kernel' outside any section");
}

static void test_unknown_section_kind(void **state)
{
    expect_error(IMG "[guest g]\n", 3, "unknown section kind 'guest'");
    expect_error("[Domain d]\n", 1, "unknown section kind 'Domain'");
    expect_error("[]\n", 1, "unknown section kind ''");
    expect_error("[images x]\n", 1, "unknown section kind 'images'");
}

static void test_section_header_extra_words(void **state)
{
    expect_error("[domain a b]\n", 1, "more than a kind and a name");
}

static void test_hypervisor_with_name(void **state)
{
    expect_error("[hypervisor main]\n", 1, "[hypervisor] takes no name");
}

static void test_hypervisor_twice(void **state)
{
    expect_error("[hypervisor]\ncmdline = a\n" IMG "[hypervisor]\n", 5, "[hypervisor] appears twice");
}

static void test_section_without_name(void **state)
{
    expect_error("[image]\n", 1, "[image] needs a name");
    expect_error(IMG "[ domain ]\n", 3, "[domain] needs a name");
}

static void test_bad_name_characters(void **state)
{
    expect_error("[image de/mo]\n", 1, "bad image name 'de/mo'");
    expect_error("[domain a@b]\n", 1, "bad domain name 'a@b'");
    expect_error("[image \"q\"]\n", 1, "bad image name");
    expect_error(IMG "[domain d]\nkernel = de/mo\n", 4, "kernel: 'de/mo' is not a valid name");
    expect_error(IMG "[domain d]\nkernel = \"de mo\"\n", 4, "kernel: 'de mo' is not a valid name");
}

static void test_name_too_long(void **state)
{
    char text[128];
    char name32[33];
    memset(name32, 'x', 32);
    name32[32] = '\0';
    snprintf(text, sizeof(text), "[image %s]\n", name32);
    expect_error(text, 1, "bad image name");
    expect_error(text, 1, "1 to 31 of");
    snprintf(text, sizeof(text), IMG "[domain d]\nkernel = %s\n", name32);
    expect_error(text, 4, "is not a valid name");
}

static void test_duplicate_image(void **state)
{
    expect_error(IMG "\n[image other]\nfile = o\n[image demo]\nfile = again\n", 6,
                 "image 'demo' is defined twice (first on line 1)");
}

static void test_duplicate_domain(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\n[domain d]\n", 6,
                 "domain 'd' is defined twice (first on line 3)");
    /* An image and a domain may share a name. */
    expect_ok(IMG "[domain demo]\nkernel = demo\nmemory = 1M\n");
}

static void test_too_many_images(void **state)
{
    struct text t = { 0 };
    for (int i = 0; i <= CFG_MAX_IMAGES; i++)
        add(&t, "[image i%d]\nfile = f\n", i);
    expect_error(t.s, 2 * CFG_MAX_IMAGES + 1, "too many images (at most 32)");
    free(t.s);
}

static void test_too_many_domains(void **state)
{
    struct text t = { 0 };
    add(&t, IMG);
    for (int i = 0; i <= CFG_MAX_DOMAINS; i++)
        add(&t, "[domain d%d]\nkernel = demo\nmemory = 1M\n", i);
    expect_error(t.s, 3 + 3 * CFG_MAX_DOMAINS, "too many domains (at most 32)");
    free(t.s);
}

static void test_unknown_key(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nkernal = demo\n", 5,
                 "unknown key 'kernal' in [domain] (known: kernel, ramdisk, cmdline, memory, vcpus, role, weight, cap, restarts, cpus)");
    expect_error("[image x]\nkernel = k\n", 2, "unknown key 'kernel' in [image] (known: file)");
    expect_error("[hypervisor]\nmemory = 1M\n", 2, "unknown key 'memory' in [hypervisor] (known: cmdline)");
}

static void test_role(void **state)
{
    expect_ok(IMG "[domain a]\nkernel = demo\nmemory = 1M\n"
              "[domain b]\nkernel = demo\nmemory = 1M\nrole = initial\n");
    assert_string_equal(cfg.domains[0].role, "guest");
    assert_string_equal(cfg.domains[1].role, "initial");
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\nrole = boss\n", 3,
                 "domain 'a': role 'boss' is neither guest nor initial");
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\nrole = initial\n"
                 "[domain b]\nkernel = demo\nmemory = 1M\nrole = initial\n", 7,
                 "domain 'b': only one domain can have role initial");
}

static void test_scheduling_keys(void **state)
{
    expect_ok(IMG "[domain a]\nkernel = demo\nmemory = 1M\ncpus = 0-2,5,63\nweight = 512\ncap = 50\n");
    assert_int_equal(cfg.domains[0].cpus, 0x8000000000000027ull);
    assert_int_equal(cfg.domains[0].weight, 512);
    assert_int_equal(cfg.domains[0].cap, 50);
    expect_ok(IMG "[domain a]\nkernel = demo\nmemory = 1M\n");
    assert_int_equal(cfg.domains[0].weight, 256);
    assert_int_equal(cfg.domains[0].cap, 0);
    assert_int_equal(cfg.domains[0].cpus, 0);
    const char *bad[] = { "3-1", "64", "1,", ",1", "1-", "a", "0x1", "1--2", "1 2" };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), IMG "[domain a]\nkernel = demo\nmemory = 1M\ncpus = %s\n", bad[i]);
        expect_error(text, 6, "is not a CPU list");
    }
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\nweight = 0\n", 6, "weight: 0 is out of range");
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\ncap = 6401\n", 6, "cap: 6401 is out of range");
}

static void test_restarts(void **state)
{
    expect_ok(IMG "[domain a]\nkernel = demo\nmemory = 1M\n");
    assert_int_equal(cfg.domains[0].restarts, 0);
    expect_ok(IMG "[domain a]\nkernel = demo\nmemory = 1M\nrestarts = 1000000\n");
    assert_int_equal(cfg.domains[0].restarts, 1000000);
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\nrestarts = 1000001\n", 6,
                 "restarts: 1000001 is out of range");
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\nrestarts = -1\n", 6, "restarts");
}

static void test_key_set_twice(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\nmemory = 2M\n", 6,
                 "key 'memory' set twice in this section");
    expect_error("[hypervisor]\ncmdline = a\ncmdline = a\n", 3, "key 'cmdline' set twice");
    /* The same key in another section is fine. */
    expect_ok("[image a]\nfile = x\n[image b]\nfile = x\n");
}

static void test_missing_required_key(void **state)
{
    /* Reported at the section header's line, for the last section... */
    expect_error(IMG "\n[domain d]\nkernel = demo\n\n", 4,
                 "[domain] misses the required key 'memory' (memory size)");
    expect_error(IMG "[domain d]\nmemory = 1M\n", 3, "[domain] misses the required key 'kernel'");
    /* ...and for one followed by another section. */
    expect_error("[image a]\n# no file\n\n[image b]\nfile = x\n", 1,
                 "[image] misses the required key 'file' (host path of the image)");
}

static void test_unbalanced_quote(void **state)
{
    expect_error("[hypervisor]\ncmdline = \"abc\n", 2, "value of 'cmdline' has an unbalanced quote");
    expect_error("[hypervisor]\ncmdline = abc\"\n", 2, "unbalanced quote");
    expect_error("[hypervisor]\ncmdline = \"\n", 2, "unbalanced quote");
    expect_error("[image a]\nfile = \"x  \n", 2, "value of 'file' has an unbalanced quote");
}

static void test_value_too_long(void **state)
{
    struct text t = { 0 };
    add(&t, IMG "[domain d]\nkernel = demo\nmemory = 1M\ncmdline = ");
    for (int i = 0; i < CFG_CMDLINE_MAX; i++)
        add(&t, "c");
    add(&t, "\n");
    expect_error(t.s, 6, "cmdline is too long (1024 bytes, at most 1023)");
    free(t.s);

    t = (struct text){ 0 };
    add(&t, "[image a]\nfile = ");
    for (int i = 0; i < CFG_PATH_MAX; i++)
        add(&t, "p");
    add(&t, "\n");
    expect_error(t.s, 2, "file is too long (256 bytes, at most 255)");
    free(t.s);
}

static void test_empty_required_string(void **state)
{
    expect_error("[image a]\nfile = \"\"\n", 2, "file must not be empty");
    expect_error("[image a]\nfile =\n", 2, "file must not be empty");
}

static void test_memory_not_a_size(void **state)
{
    static const char *const bad[] = { "lots", "32X", "32 M", "-1M", "1.5G", "M", "0x", "32Mi" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char text[128], want[64];
        snprintf(text, sizeof(text), IMG "[domain d]\nkernel = demo\nmemory = %s\n", bad[i]);
        snprintf(want, sizeof(want), "memory: '%s' is not a size", bad[i]);
        expect_error(text, 5, want);
    }
    expect_error(IMG "[domain d]\nkernel = demo\nmemory =\n", 5, "memory: '' is not a size");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 0000000000000000000000000000001M\n", 5,
                 "is not a size");
}

static void test_memory_not_page_multiple(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1048577\n", 5,
                 "memory: '1048577' is not a multiple of 4 KiB");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 4097K\n", 5, "not a multiple of 4 KiB");
}

static void test_memory_out_of_range(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1020K\n", 5,
                 "memory: 1020K is out of range (1 to 1048576 MiB)");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 0\n", 5, "out of range");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1025G\n", 5, "memory: 1025G is out of range");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 2T\n", 5, "out of range");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 17179869184G\n", 5, "is not a size");
}

static void test_vcpus_out_of_range(void **state)
{
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\nvcpus = 0\n", 6,
                 "vcpus: 0 is out of range (1 to 64)");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\nvcpus = 65\n", 6,
                 "vcpus: 65 is out of range (1 to 64)");
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\nvcpus = 99999999999999999999\n", 6,
                 "vcpus: '99999999999999999999' is not a number");
}

static void test_vcpus_not_a_number(void **state)
{
    static const char *const bad[] = { "four", "4x", "-1", "4K", "1.0", "0x", "+2" };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char text[128], want[64];
        snprintf(text, sizeof(text), IMG "[domain d]\nkernel = demo\nmemory = 1M\nvcpus = %s\n", bad[i]);
        snprintf(want, sizeof(want), "vcpus: '%s' is not a number", bad[i]);
        expect_error(text, 6, want);
    }
    expect_error(IMG "[domain d]\nkernel = demo\nmemory = 1M\nvcpus =   \n", 6, "is not a number");
}

static void test_line_without_equals(void **state)
{
    expect_error(IMG "[domain d]\nkernel demo\n", 4, "expected 'key = value', a [section] or a # comment");
    expect_error("just words\n", 1, "expected 'key = value'");
}

static void test_missing_key(void **state)
{
    expect_error("[image a]\n= x\n", 2, "missing key before '='");
    expect_error("[image a]\n   \t= x\n", 2, "missing key before '='");
}

static void test_bad_key_characters(void **state)
{
    expect_error("[image a]\nFile = x\n", 2, "bad key 'File' (lower-case letters, digits and _)");
    expect_error("[image a]\nfi-le = x\n", 2, "bad key 'fi-le'");
    expect_error("[image a]\nmy file = x\n", 2, "bad key 'my file'");
}

static void test_section_header_unclosed(void **state)
{
    expect_error(IMG "[domain demo\n", 3, "section header without its closing ']'");
    expect_error("[\n", 1, "without its closing ']'");
    expect_error("[image a] # comment\n", 1, "without its closing ']'");
}

static void test_line_too_long(void **state)
{
    struct text t = { 0 };
    add(&t, IMG "#");
    for (int i = 0; i < CFG_LINE_MAX; i++)       /* CFG_LINE_MAX + 1 bytes */
        add(&t, "x");
    add(&t, "\n");
    expect_error(t.s, 3, "line longer than 2048 bytes");
    free(t.s);
}

static void test_nul_byte(void **state)
{
    static const char text[] = IMG "[domain d]\nkernel = de\0mo\nmemory = 1M\n";
    expect_error_n(text, sizeof(text) - 1, 4, "NUL byte in the config");
    static const char text2[] = "\0";
    expect_error_n(text2, 1, 1, "NUL byte");
}

static void test_kernel_unknown_image(void **state)
{
    expect_error(IMG "\n[domain d]\nkernel = nope\nmemory = 1M\n", 4,
                 "domain 'd': kernel 'nope' is not an [image] of this config");
    /* Images may come after the domains that use them. */
    expect_ok("[domain d]\nkernel = late\nmemory = 1M\n[image late]\nfile = l\n");
}

static void test_ramdisk_unknown_image(void **state)
{
    expect_error(IMG "[domain a]\nkernel = demo\nmemory = 1M\n[domain b]\nkernel = demo\n"
                 "ramdisk = rd\nmemory = 1M\n", 6,
                 "domain 'b': ramdisk 'rd' is not an [image] of this config");
}

static void test_small_error_buffer(void **state)
{
    char small[8];
    memset(small, '#', sizeof(small));
    assert_int_equal(config_parse("x\n", 2, FILE_NAME, &cfg, small, 6), -1);
    assert_string_equal(small, "sys.c");
    assert_int_equal(small[6], '#');
    assert_int_equal(config_parse("x\n", 2, FILE_NAME, &cfg, small, sizeof(small)), -1);
    assert_string_equal(small, "sys.cfg");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_example),
        cmocka_unit_test(test_crlf_line_endings),
        cmocka_unit_test(test_no_final_newline_and_empty),
        cmocka_unit_test(test_reparse_starts_clean),
        cmocka_unit_test(test_memory_suffixes),
        cmocka_unit_test(test_limits_accepted),
        cmocka_unit_test(test_empty_optional_values),
        cmocka_unit_test(test_config_find_image),
        cmocka_unit_test(test_config_parse_size),
        cmocka_unit_test(test_key_outside_section),
        cmocka_unit_test(test_unknown_section_kind),
        cmocka_unit_test(test_section_header_extra_words),
        cmocka_unit_test(test_hypervisor_with_name),
        cmocka_unit_test(test_hypervisor_twice),
        cmocka_unit_test(test_section_without_name),
        cmocka_unit_test(test_bad_name_characters),
        cmocka_unit_test(test_name_too_long),
        cmocka_unit_test(test_duplicate_image),
        cmocka_unit_test(test_duplicate_domain),
        cmocka_unit_test(test_too_many_images),
        cmocka_unit_test(test_too_many_domains),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_key_set_twice),
        cmocka_unit_test(test_role),
        cmocka_unit_test(test_scheduling_keys),
        cmocka_unit_test(test_restarts),
        cmocka_unit_test(test_missing_required_key),
        cmocka_unit_test(test_unbalanced_quote),
        cmocka_unit_test(test_value_too_long),
        cmocka_unit_test(test_empty_required_string),
        cmocka_unit_test(test_memory_not_a_size),
        cmocka_unit_test(test_memory_not_page_multiple),
        cmocka_unit_test(test_memory_out_of_range),
        cmocka_unit_test(test_vcpus_out_of_range),
        cmocka_unit_test(test_vcpus_not_a_number),
        cmocka_unit_test(test_line_without_equals),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_bad_key_characters),
        cmocka_unit_test(test_section_header_unclosed),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_kernel_unknown_image),
        cmocka_unit_test(test_ramdisk_unknown_image),
        cmocka_unit_test(test_small_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
