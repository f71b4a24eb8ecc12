/*
 * bench.c - the linux_* micro-benchmarks of ../shared/BENCHMARKS.md.
 *
 * Each sample is `rdtsc; OP; rdtsc` minus the median of an empty pair
 * ("How a path length is taken").  Under QEMU's -icount shift=0,sleep=off
 * (tern.clock=icount) the TSC counts executed instructions, the kernel's and
 * the hypervisor's included, and the figures are instructions; in a plain
 * run (tern.clock=wall) the same samples are turned into microseconds with a
 * TSC rate measured against CLOCK_MONOTONIC.  Warm-up iterations check that
 * OP did what it should (the CHECK line bench.NAME); the measured iterations
 * hold only the timed code: the C library's call, as a program would make
 * it (syscall(SYS_getppid), read, fork, execve, _exit, waitpid, kill...),
 * and everything below it.  Each benchmark runs in its own child process
 * (main.c), pinned to CPU 0 so that a multi-vCPU guest still measures one
 * path.  Output: BENCH {"bench", "unit", "median", "p99", "min", "max",
 * "runs", "empty_pair", "per_op", "tsc_hz", "clock"}.
 *
 *   linux_getppid      syscall(SYS_getppid)
 *   linux_read1        read of 1 byte from /dev/zero
 *   linux_fork_exit    fork + _exit + waitpid
 *   linux_fork_exec    fork + execve of a tiny static binary + waitpid
 *   linux_pagefault    first write to a fresh anonymous page
 *   linux_mmap1m       mmap 1 MiB anonymous + touch 256 pages + munmap
 *   linux_mprotect64k  mprotect of 64 KiB RW -> RO -> RW
 *   linux_pipe_rtt     1 byte each way between two processes
 *   linux_ctxsw        a hop in a ring of 4 processes over pipes (per_op 4)
 *   linux_signal       kill(self) + handler + sigreturn
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

struct run {
    const char *name;
    long warmup, iters;
    unsigned per_op;        /* operations per sample */
    u64 *v;
    long n;
    u64 overhead;
};

static struct run cur;      /* the benchmark the next child runs */
static double tsc_hz;       /* wall mode: measured once, inherited by the children */

static void add(u64 ticks)
{
    if (cur.n < cur.iters)
        cur.v[cur.n++] = ticks > cur.overhead ? ticks - cur.overhead : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    u64 x = *(const u64 *)a, y = *(const u64 *)b;
    return x < y ? -1 : x > y;
}

static u64 empty_pair(void)
{
    enum { N = 1001 };
    static u64 e[N];
    for (int i = 0; i < N; i++) {
        u64 t0 = rdtsc();
        u64 t1 = rdtsc();
        e[i] = t1 - t0;
    }
    qsort(e, N, sizeof(e[0]), cmp_u64);
    return e[N / 2];
}

/* TSC ticks per second, against CLOCK_MONOTONIC over 500 ms. */
static double measure_tsc_hz(void)
{
    double t0 = mono_seconds();
    u64 c0 = rdtsc();
    double t1;
    while ((t1 = mono_seconds()) - t0 < 0.5)
        ;
    return (double)(rdtsc() - c0) / (t1 - t0);
}

static void report(void)
{
    qsort(cur.v, (size_t)cur.n, sizeof(u64), cmp_u64);
    u64 med = cur.v[cur.n / 2], p99 = cur.v[(cur.n * 99) / 100], mn = cur.v[0], mx = cur.v[cur.n - 1];
    double per = cur.per_op;
    if (cfg.icount) {
        emit("BENCH {\"bench\": \"%s\", \"unit\": \"instructions\", \"median\": %.0f, \"p99\": %.0f, "
             "\"min\": %.0f, \"max\": %.0f, \"runs\": %ld, \"empty_pair\": %llu, \"per_op\": %u, "
             "\"clock\": \"icount\"}", cur.name, med / per, p99 / per, mn / per, mx / per, cur.n,
             (unsigned long long)cur.overhead, cur.per_op);
    } else {
        double us = 1e6 / tsc_hz / per;
        emit("BENCH {\"bench\": \"%s\", \"unit\": \"us\", \"median\": %.3f, \"p99\": %.3f, "
             "\"min\": %.3f, \"max\": %.3f, \"runs\": %ld, \"empty_pair\": %llu, \"per_op\": %u, "
             "\"tsc_hz\": %.0f, \"clock\": \"wall\"}", cur.name, med * us, p99 * us, mn * us,
             mx * us, cur.n, (unsigned long long)cur.overhead, cur.per_op, tsc_hz);
    }
}

/* ---- the operations ---- */

static bool b_getppid(char *d, size_t n)
{
    long want = proc_stat_ppid();
    for (long i = 0; i < cur.warmup; i++) {
        long r = syscall(SYS_getppid);
        if (r != want || want <= 0) {
            snprintf(d, n, "getppid returned %ld, /proc/self/stat says %ld", r, want);
            return false;
        }
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++) {
        u64 t0 = rdtsc();
        long r = syscall(SYS_getppid);
        u64 t1 = rdtsc();
        add(t1 - t0);
        bad += r != want;
    }
    snprintf(d, n, "%ld warm-up calls returned the parent's pid %ld (as /proc/self/stat); "
             "%ld measured, %ld wrong", cur.warmup, want, cur.iters, bad);
    return bad == 0;
}

static bool b_read1(char *d, size_t n)
{
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0) {
        snprintf(d, n, "open /dev/zero: %s", strerror(errno));
        return false;
    }
    volatile char c;
    for (long i = 0; i < cur.warmup; i++) {
        c = 0x5a;
        long r = read(fd, (char *)&c, 1);
        if (r != 1 || c != 0) {
            snprintf(d, n, "read returned %ld, byte %#x (expected 1 and 0)", r, (unsigned char)c);
            return false;
        }
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++) {
        u64 t0 = rdtsc();
        long r = read(fd, (char *)&c, 1);
        u64 t1 = rdtsc();
        add(t1 - t0);
        bad += r != 1;
    }
    close(fd);
    snprintf(d, n, "%ld warm-up reads of /dev/zero gave 1 byte, zero; %ld measured, %ld wrong",
             cur.warmup, cur.iters, bad);
    return bad == 0;
}

/* One fork + (exec) + exit + wait; the child's wait status, or -1. */
static int fork_once(bool exec, u64 *ticks)
{
    static char *const argv_[] = { "tl-exit", "7", NULL };
    static char *const envp_[] = { NULL };
    int st = -1;
    u64 t0 = rdtsc();
    pid_t pid = fork();
    if (pid == 0) {
        if (exec)
            execve(cfg.helper, argv_, envp_);
        _exit(exec ? 127 : 7);
    }
    pid_t w = pid > 0 ? waitpid(pid, &st, 0) : -1;
    u64 t1 = rdtsc();
    *ticks = t1 - t0;
    return w == pid ? st : -1;
}

static bool b_fork(char *d, size_t n, bool exec)
{
    u64 t;
    for (long i = 0; i < cur.warmup; i++) {
        int st = fork_once(exec, &t);
        if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
            snprintf(d, n, "warm-up %ld: wait status %#x (expected exit 7%s)", i, st,
                     exec ? " from the exec'd program" : "");
            return false;
        }
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++) {
        int st = fork_once(exec, &t);
        add(t);
        bad += st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 7;
    }
    snprintf(d, n, "%ld warm-up children %sexited 7; %ld measured, %ld wrong", cur.warmup,
             exec ? "exec'd the helper and " : "", cur.iters, bad);
    return bad == 0;
}

static bool b_fork_exit(char *d, size_t n) { return b_fork(d, n, false); }
static bool b_fork_exec(char *d, size_t n) { return b_fork(d, n, true); }

static bool b_pagefault(char *d, size_t n)
{
    size_t pages = (size_t)(cur.warmup + cur.iters);
    volatile char *base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        snprintf(d, n, "mmap: %s", strerror(errno));
        return false;
    }
    madvise((void *)base, pages * PAGE, MADV_NOHUGEPAGE);
    for (long i = 0; i < cur.warmup; i++) {
        volatile char *p = base + (size_t)i * PAGE;
        unsigned char before = 1, after = 0;
        mincore((void *)p, PAGE, &before);
        *p = 1;
        mincore((void *)p, PAGE, &after);
        if ((before & 1) || !(after & 1) || p[0] != 1 || p[1] != 0 || p[PAGE - 1] != 0) {
            snprintf(d, n, "page %ld: resident before %d after %d, bytes %d %d %d (expected 0 1, 1 0 0)",
                     i, before & 1, after & 1, p[0], p[1], p[PAGE - 1]);
            return false;
        }
    }
    for (long i = 0; i < cur.iters; i++) {
        volatile char *p = base + (size_t)(cur.warmup + i) * PAGE;
        u64 t0 = rdtsc();
        *p = 1;
        u64 t1 = rdtsc();
        add(t1 - t0);
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++)
        bad += base[(size_t)(cur.warmup + i) * PAGE] != 1 || base[(size_t)(cur.warmup + i) * PAGE + 8] != 0;
    munmap((void *)base, pages * PAGE);
    snprintf(d, n, "%ld warm-up pages absent before the write, present and zero-filled after; "
             "%ld measured, %ld wrong", cur.warmup, cur.iters, bad);
    return bad == 0;
}

static bool b_mmap1m(char *d, size_t n)
{
    const size_t len = 1UL << 20;
    for (long i = 0; i < cur.warmup; i++) {
        volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            snprintf(d, n, "mmap: %s", strerror(errno));
            return false;
        }
        for (size_t k = 0; k < 256; k++)
            p[k * PAGE] = (char)(k + 1);
        for (size_t k = 0; k < 256; k++)
            if (p[k * PAGE] != (char)(k + 1) || p[k * PAGE + 1] != 0) {
                snprintf(d, n, "warm-up %ld: page %zu reads %d", i, k, p[k * PAGE]);
                return false;
            }
        unsigned char vec[256];
        if (munmap((void *)p, len) < 0 || mincore((void *)p, len, vec) == 0 || errno != ENOMEM) {
            snprintf(d, n, "warm-up %ld: the range is still mapped after munmap", i);
            return false;
        }
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++) {
        u64 t0 = rdtsc();
        volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            for (size_t k = 0; k < 256; k++)
                p[k * PAGE] = 1;
            munmap((void *)p, len);
        }
        u64 t1 = rdtsc();
        add(t1 - t0);
        bad += p == MAP_FAILED;
    }
    snprintf(d, n, "%ld warm-up mappings held what was written and were gone after munmap; "
             "%ld measured, %ld failed", cur.warmup, cur.iters, bad);
    return bad == 0;
}

static bool b_mprotect64k(char *d, size_t n)
{
    const size_t len = 64 * 1024;
    u64 *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(d, n, "mmap: %s", strerror(errno));
        return false;
    }
    for (size_t k = 0; k < len / 8; k += PAGE / 8)
        p[k] = k;                                   /* every page present */
    for (long i = 0; i < cur.warmup; i++) {
        volatile u64 *w = &p[((size_t)i % 16) * (PAGE / 8) + 1];
        if (mprotect(p, len, PROT_READ) < 0) {
            snprintf(d, n, "mprotect RO: %s", strerror(errno));
            return false;
        }
        int sig = probe_write(w, 0xdead);
        if (sig != SIGSEGV || *w == 0xdead) {
            snprintf(d, n, "warm-up %ld: a write to the read-only range %s", i,
                     sig ? "raised the wrong signal" : "did not fault");
            return false;
        }
        if (mprotect(p, len, PROT_READ | PROT_WRITE) < 0) {
            snprintf(d, n, "mprotect RW: %s", strerror(errno));
            return false;
        }
        sig = probe_write(w, (u64)i);
        if (sig || *w != (u64)i) {
            snprintf(d, n, "warm-up %ld: a write after mprotect RW %s", i, sig ? "faulted" : "was lost");
            return false;
        }
    }
    long bad = 0;
    for (long i = 0; i < cur.iters; i++) {
        u64 t0 = rdtsc();
        int r1 = mprotect(p, len, PROT_READ);
        int r2 = mprotect(p, len, PROT_READ | PROT_WRITE);
        u64 t1 = rdtsc();
        add(t1 - t0);
        bad += r1 || r2;
    }
    munmap(p, len);
    snprintf(d, n, "%ld warm-ups: a write faults while RO and sticks once RW again; "
             "%ld measured, %ld failed", cur.warmup, cur.iters, bad);
    return bad == 0;
}

/* The pipe benchmarks' helper processes: read a byte, pass it on plus one. */
static void relay(int in, int out)
{
    unsigned char c;
    while (read(in, &c, 1) == 1) {
        c++;
        if (write(out, &c, 1) != 1)
            break;
    }
    _exit(0);
}

/* A ring of nproc processes (this one included) over pipes; one lap per
 * sample.  nproc 2 is the pipe round trip. */
static bool b_ring(char *d, size_t n, int nproc)
{
    int fds[4][2];
    pid_t pids[4] = { 0 };
    for (int i = 0; i < nproc; i++)
        if (pipe(fds[i]) < 0) {
            snprintf(d, n, "pipe: %s", strerror(errno));
            return false;
        }
    /* Member i reads pipe i and writes pipe (i + 1) % nproc; member 0 is us. */
    for (int i = 1; i < nproc; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            for (int j = 0; j < nproc; j++) {
                if (j != i)
                    close(fds[j][0]);
                if (j != (i + 1) % nproc)
                    close(fds[j][1]);
            }
            relay(fds[i][0], fds[(i + 1) % nproc][1]);
        }
    }
    int in = fds[0][0], out = fds[1][1];
    for (int j = 0; j < nproc; j++) {
        if (j != 0)
            close(fds[j][0]);
        if (j != 1)
            close(fds[j][1]);
    }
    bool ok = true;
    unsigned char c = 0, r = 0;
    for (long i = 0; ok && i < cur.warmup; i++) {
        c = (unsigned char)i;
        r = 0;
        ok = write(out, &c, 1) == 1 && read(in, &r, 1) == 1 &&
             r == (unsigned char)(c + nproc - 1);
        if (!ok)
            snprintf(d, n, "warm-up %ld: sent %u, got %u back (expected %u)", i, c, r,
                     (unsigned char)(c + nproc - 1));
    }
    long bad = 0;
    for (long i = 0; ok && i < cur.iters; i++) {
        c = (unsigned char)i;
        u64 t0 = rdtsc();
        long w = write(out, &c, 1);
        long rr = read(in, &r, 1);
        u64 t1 = rdtsc();
        add(t1 - t0);
        bad += w != 1 || rr != 1 || r != (unsigned char)(c + nproc - 1);
    }
    close(out);
    close(in);
    int exited = 0;
    for (int i = 1; i < nproc; i++) {
        int st = 0;
        if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            exited++;
    }
    if (ok)
        snprintf(d, n, "%ld warm-up laps through %d processes each added %d to the byte; "
                 "%ld measured, %ld wrong; %d helpers exited 0", cur.warmup, nproc, nproc - 1,
                 cur.iters, bad, exited);
    return ok && bad == 0 && exited == nproc - 1;
}

static bool b_pipe_rtt(char *d, size_t n) { return b_ring(d, n, 2); }
static bool b_ctxsw(char *d, size_t n) { return b_ring(d, n, 4); }

static volatile long signals_seen;

static void on_usr1(int sig)
{
    (void)sig;
    signals_seen++;
}

static bool b_signal(char *d, size_t n)
{
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0) {
        snprintf(d, n, "sigaction: %s", strerror(errno));
        return false;
    }
    long self = getpid();
    for (long i = 0; i < cur.warmup; i++) {
        long before = signals_seen;
        long r = kill((pid_t)self, SIGUSR1);
        if (r != 0 || signals_seen != before + 1) {
            snprintf(d, n, "warm-up %ld: kill returned %ld, handler ran %ld times (expected 1)", i, r,
                     signals_seen - before);
            return false;
        }
    }
    long before = signals_seen;
    for (long i = 0; i < cur.iters; i++) {
        u64 t0 = rdtsc();
        kill((pid_t)self, SIGUSR1);
        u64 t1 = rdtsc();
        add(t1 - t0);
    }
    long ran = signals_seen - before;
    snprintf(d, n, "%ld warm-up kill(self) ran the handler once each before returning; "
             "%ld measured, handler ran %ld times", cur.warmup, cur.iters, ran);
    return ran == cur.iters;
}

struct benchdef {
    const char *name;
    check_fn fn;
    long warmup, iters;     /* defaults */
    unsigned per_op;
};

static const struct benchdef benches[] = {
    { "linux_getppid", b_getppid, 200, 2000, 1 },
    { "linux_read1", b_read1, 200, 2000, 1 },
    { "linux_fork_exit", b_fork_exit, 50, 300, 1 },
    { "linux_fork_exec", b_fork_exec, 50, 300, 1 },
    { "linux_pagefault", b_pagefault, 200, 2000, 1 },
    { "linux_mmap1m", b_mmap1m, 50, 300, 1 },
    { "linux_mprotect64k", b_mprotect64k, 200, 1000, 1 },
    { "linux_pipe_rtt", b_pipe_rtt, 200, 1000, 1 },
    { "linux_ctxsw", b_ctxsw, 200, 1000, 4 },
    { "linux_signal", b_signal, 200, 2000, 1 },
};

/* The child's body: pin to CPU 0, measure, print BENCH, give the verdict. */
static bool bench_body(char *d, size_t n)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof(set), &set);
    cur.v = calloc((size_t)cur.iters, sizeof(u64));
    if (!cur.v) {
        snprintf(d, n, "out of memory for %ld samples", cur.iters);
        return false;
    }
    cur.overhead = empty_pair();
    cur.n = 0;
    char detail[600] = "";
    const struct benchdef *b = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(benches); i++)
        if (!strcmp(benches[i].name, cur.name))
            b = &benches[i];
    bool ok = b && b->fn(detail, sizeof(detail));
    if (ok && cur.n == cur.iters)
        report();
    snprintf(d, n, "%s", detail);
    return ok && cur.n == cur.iters;
}

void run_benchmarks(void)
{
    if (!cfg.icount)
        tsc_hz = measure_tsc_hz();
    emit("ternlinux: benchmarks, clock %s, TSC %.0f Hz (wall only), empty rdtsc pair %llu ticks",
         cfg.icount ? "icount" : "wall", tsc_hz, (unsigned long long)empty_pair());
    for (size_t i = 0; i < ARRAY_SIZE(benches); i++) {
        const struct benchdef *b = &benches[i];
        cur = (struct run){ .name = b->name, .per_op = b->per_op, .warmup = b->warmup,
                            .iters = b->iters };
        if (cfg.iters > 0) {
            cur.iters = cfg.iters;
            cur.warmup = cfg.iters / 4 < b->warmup ? cfg.iters / 4 : b->warmup;
            if (cur.warmup < 5)
                cur.warmup = 5;
        }
        char name[64];
        snprintf(name, sizeof(name), "bench.%s", b->name + strlen("linux_"));
        run_check(name, bench_body, 900);
    }
}
