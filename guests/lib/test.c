/*
 * test.c - the XTF-style test framework and the program's life cycle.
 *
 * guest_main (called by pv.c / native.c once the platform is up) prints the
 * title and platform, runs test_main(), then test_finish() prints the verdict
 * and ends the guest.  The harness contract (ARCHITECTURE.md): one line per
 * check, `CHECK <name> PASS|FAIL <detail>`, then `RESULT <verdict> <reason>`;
 * the verdict is the worst of SUCCESS < SKIP < ERROR < FAILURE.
 */
#include "guest.h"

static enum result worst = RESULT_SUCCESS;
static char reason[200];
static unsigned nr_checks, nr_failed;
static const char *const result_names[] = { "SUCCESS", "SKIP", "ERROR", "FAILURE" };

static bool word_match(const char *p, const char *word, size_t n)
{
    return strncmp(p, word, n) == 0 && (p[n] == 0 || p[n] == ' ' || p[n] == '=');
}

bool cmdline_has(const char *word)
{
    size_t n = strlen(word);
    for (const char *p = guest_cmdline; p && *p; p++)
        if ((p == guest_cmdline || p[-1] == ' ') && word_match(p, word, n))
            return true;
    return false;
}

const char *cmdline_value(const char *key, char *buf, size_t size)
{
    size_t n = strlen(key);
    for (const char *p = guest_cmdline; p && *p; p++) {
        if ((p == guest_cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
            const char *v = p + n + 1;
            size_t len = 0;
            while (v[len] && v[len] != ' ')
                len++;
            if (len >= size)
                len = size - 1;
            memcpy(buf, v, len);
            buf[len] = 0;
            return buf;
        }
    }
    return NULL;
}

bool check(bool ok, const char *name, const char *fmt, ...)
{
    char detail[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    nr_checks++;
    printf("CHECK %s %s %s\n", name, ok ? "PASS" : "FAIL", detail);
    if (!ok) {
        nr_failed++;
        test_result(RESULT_FAILURE, "check %s failed: %s", name, detail);
    }
    return ok;
}

void test_result(enum result r, const char *fmt, ...)
{
    if (r <= worst && !(r == worst && !reason[0]))
        return;
    worst = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
}

__noreturn void test_finish(void)
{
    if (worst == RESULT_SUCCESS || !reason[0])
        snprintf(reason, sizeof(reason), "%u checks, %u failed", nr_checks, nr_failed);
    printf("RESULT %s %s\n", result_names[worst], reason);
    platform_exit(true);
}

__noreturn void guest_panic(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("PANIC: %s\n", msg);
    printf("RESULT ERROR panic: %s\n", msg);
    platform_exit(false);
}

void guest_main(void);
void guest_main(void)
{
    printf("guest: %s (platform %s, cmdline \"%s\")\n", test_title, platform_name(), guest_cmdline);
    test_main();
    test_finish();
}
