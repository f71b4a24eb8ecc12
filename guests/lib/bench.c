/*
 * bench.c - sampling and reporting for benchmark guests
 * (../shared/BENCHMARKS.md, "How a path length is taken").
 *
 * Each sample is `rdtsc; OP; rdtsc` (TSC_START/TSC_STOP in guest.h) minus the
 * median of an empty pair.  Two modes, chosen by the command line:
 *   icount (default)  run under -icount shift=0,sleep=off, where the TSC
 *                     counts instructions: every sample is kept and sorted;
 *                     the figures are instructions.
 *   wall ("wall")     plain TCG: samples go to a log-linear histogram
 *                     (1/128 resolution), converted to ns with the platform's
 *                     TSC rate at the end; millions of samples fit.
 * The result is one line: BENCH {json}.
 */
#include "guest.h"

static u64 sample_buf[BENCH_MAX_SAMPLES];
#define HIST_LINEAR 256
#define HIST_SUB    128
static u32 hist[HIST_LINEAR + 56 * HIST_SUB];
static u64 empty_pair_cached;

bool bench_wall_mode(void)
{
    return cmdline_has("wall");
}

u64 bench_iters(u64 icount_default, u64 wall_default)
{
    char buf[24];
    u64 v;
    const char *s = cmdline_value("iters", buf, sizeof(buf));
    if (s && parse_u64(s, strlen(s), &v) == strlen(s) && v)
        return v;
    return bench_wall_mode() ? wall_default : icount_default;
}

static void sort(u64 *a, u64 n)
{
    /* Shell sort: a few thousand samples, no recursion, no allocation. */
    for (u64 gap = n / 2; gap; gap /= 2)
        for (u64 i = gap; i < n; i++)
            for (u64 j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                u64 t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}

u64 bench_empty_pair(void)
{
    if (empty_pair_cached)
        return empty_pair_cached;
    enum { N = 1001 };
    for (u64 i = 0; i < N; i++) {
        u64 dt;
        __asm__ volatile(TSC_START TSC_STOP : "=a"(dt) :: "rdx", "r12");
        sample_buf[i] = dt;
    }
    sort(sample_buf, N);
    empty_pair_cached = sample_buf[N / 2];
    return empty_pair_cached;
}

void bench_begin(struct bench *b, const char *name)
{
    b->warmups = 0;
    b->native0 = native_events;
    b->tern = platform_is_pv && tern_op(TERNOP_get_counters, &b->tern0) == 0;
    b->name = name;
    b->overhead = bench_empty_pair();
    b->n = b->total = 0;
    b->per = 1;
    b->min = ~0ULL;
    b->max = 0;
    b->samples = sample_buf;
    memset(hist, 0, sizeof(hist));
}

static unsigned bucket(u64 v)
{
    if (v < HIST_LINEAR)
        return (unsigned)v;
    unsigned e = 63 - (unsigned)__builtin_clzll(v);       /* >= 8 */
    unsigned m = (unsigned)(v >> (e - 7)) & (HIST_SUB - 1);
    return HIST_LINEAR + (e - 8) * HIST_SUB + m;
}

static u64 bucket_value(unsigned i)
{
    if (i < HIST_LINEAR)
        return i;
    unsigned e = (i - HIST_LINEAR) / HIST_SUB + 8, m = (i - HIST_LINEAR) % HIST_SUB;
    u64 lo = ((u64)(HIST_SUB | m)) << (e - 7);
    return lo + ((1ULL << (e - 7)) >> 1);                   /* middle of the bucket */
}

void bench_add(struct bench *b, u64 ticks)
{
    u64 v = ticks > b->overhead ? ticks - b->overhead : 0;
    b->min = MIN(b->min, v);
    b->max = MAX(b->max, v);
    b->total++;
    if (bench_wall_mode()) {
        unsigned i = bucket(v);
        if (i < ARRAY_SIZE(hist))
            hist[i]++;
    } else if (b->n < BENCH_MAX_SAMPLES) {
        b->samples[b->n++] = v;
    }
}

static u64 hist_percentile(u64 total, unsigned pct)
{
    u64 want = (total * pct + 99) / 100, seen = 0;
    if (!want)
        want = 1;
    for (unsigned i = 0; i < ARRAY_SIZE(hist); i++) {
        seen += hist[i];
        if (seen >= want)
            return bucket_value(i);
    }
    return 0;
}

/* n/ops as a decimal with three places (rare events still show). */
static const char *thousandths(char *buf, size_t size, u64 n, u64 ops)
{
    u64 m = n * 1000 / ops;
    snprintf(buf, size, "%lu.%03lu", m / 1000, m % 1000);
    return buf;
}

void bench_tern_events_json(char *buf, size_t size, const struct tern_counters *a,
                            const struct tern_counters *b, u64 ops)
{
    char e[7][24];
    buf[0] = 0;
    if (!ops)
        return;
    /* The second tern_op (the one that read b) is counted in b. */
    snprintf(buf, size, "\"hypercalls\": %s, \"exceptions\": %s, \"interrupts\": %s, "
             "\"syscall_bounces\": %s, \"as_switches\": %s, \"domain_switches\": %s, \"ipis\": %s",
             thousandths(e[0], sizeof(e[0]), b->hypercalls - a->hypercalls - 1, ops),
             thousandths(e[1], sizeof(e[1]), b->exceptions - a->exceptions, ops),
             thousandths(e[2], sizeof(e[2]), b->interrupts - a->interrupts, ops),
             thousandths(e[3], sizeof(e[3]), b->syscall_bounces - a->syscall_bounces, ops),
             thousandths(e[4], sizeof(e[4]), b->as_switches - a->as_switches, ops),
             thousandths(e[5], sizeof(e[5]), b->domain_switches - a->domain_switches, ops),
             thousandths(e[6], sizeof(e[6]), b->ipis - a->ipis, ops));
}

/* "events": the window's counts per operation (struct bench), or "". */
static void bench_events(const struct bench *b, char *buf, size_t size)
{
    char e[3][24], m[240];
    u64 ops = (b->total + b->warmups) * b->per;
    buf[0] = 0;
    if (!ops)
        return;
    if (!platform_is_pv) {
        snprintf(buf, size, "\"events\": {\"pio\": %s, \"mmio\": %s, \"irqs\": %s}",
                 thousandths(e[0], sizeof(e[0]), native_events.pio - b->native0.pio, ops),
                 thousandths(e[1], sizeof(e[1]), native_events.mmio - b->native0.mmio, ops),
                 thousandths(e[2], sizeof(e[2]), native_events.irqs - b->native0.irqs, ops));
        return;
    }
    struct tern_counters now;
    if (!b->tern || tern_op(TERNOP_get_counters, &now) != 0)
        return;
    bench_tern_events_json(m, sizeof(m), &b->tern0, &now, ops);
    snprintf(buf, size, "\"events\": {%s}", m);
}

void bench_report(struct bench *b, const char *extra)
{
    char events[320];
    bench_events(b, events, sizeof(events));
    u64 med, p99, mn = b->min, mx = b->max;
    const char *unit;
    if (bench_wall_mode()) {
        med = tsc_to_ns(hist_percentile(b->total, 50));
        p99 = tsc_to_ns(hist_percentile(b->total, 99));
        mn = tsc_to_ns(mn);
        mx = tsc_to_ns(mx);
        unit = "ns";
    } else {
        sort(b->samples, b->n);
        med = b->n ? b->samples[b->n / 2] : 0;
        p99 = b->n ? b->samples[(b->n * 99) / 100] : 0;
        unit = "instructions";
    }
    if (b->per > 1) {
        u64 h = b->per / 2;
        med = (med + h) / b->per;
        p99 = (p99 + h) / b->per;
        mn = (mn + h) / b->per;
        mx = (mx + h) / b->per;
    }
    printf("BENCH {\"bench\": \"%s\", \"unit\": \"%s\", \"median\": %lu, \"p99\": %lu, "
           "\"min\": %lu, \"max\": %lu, \"runs\": %lu, \"empty_pair\": %lu, \"tsc_hz\": %lu, "
           "\"per_op\": %lu, \"platform\": \"%s\"%s%s%s%s}\n",
           b->name, unit, med, p99, mn, mx, b->total, b->overhead, tsc_hz, b->per, platform_name(),
           extra && extra[0] ? ", " : "", extra ? extra : "", events[0] ? ", " : "", events);
}
