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

void bench_report(struct bench *b, const char *extra)
{
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
           "\"per_op\": %lu, \"platform\": \"%s\"%s%s}\n",
           b->name, unit, med, p99, mn, mx, b->total, b->overhead, tsc_hz, b->per, platform_name(),
           extra && extra[0] ? ", " : "", extra ? extra : "");
}

void bench_native_events(char *buf, size_t size, const struct native_counters *before, u64 iters)
{
    if (platform_is_pv || !iters) {
        buf[0] = 0;
        return;
    }
    /* Per iteration, in thousandths, so that rare events still show. */
    u64 d[3] = { native_events.pio - before->pio, native_events.mmio - before->mmio,
                 native_events.irqs - before->irqs };
    u64 m[3];
    for (int i = 0; i < 3; i++)
        m[i] = d[i] * 1000 / iters;
    snprintf(buf, size, "\"events\": {\"pio\": %lu.%03lu, \"mmio\": %lu.%03lu, \"irqs\": %lu.%03lu}",
             m[0] / 1000, m[0] % 1000, m[1] / 1000, m[1] % 1000, m[2] / 1000, m[2] % 1000);
}
