/*
 * tl.h - "ternlinux", the project's test and benchmark program inside the
 * Linux initramfs (guests/linux/README.md).
 *
 * One static binary, run by /init: it reads its orders from the kernel command
 * line (tern.run=, tern.pv=, tern.vcpus=, tern.clock=, tern.iters=), runs the
 * in-guest checks (checks.c) and the linux_* micro-benchmarks (bench.c) and
 * prints the harness contract of ../shared/ARCHITECTURE.md:
 *   CHECK <name> PASS|FAIL <detail>     one per check
 *   BENCH {json}                        one per benchmark
 *   RESULT SUCCESS|FAILURE <reason>     last; then the program exits 0
 * Every check runs in a child process under an alarm, so a check that kills
 * its process or hangs fails alone and the others still run (main.c).
 * Reading order: main.c, checks.c, checks_data.c, bench.c.
 */
#ifndef TL_H
#define TL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t u64;
typedef uint32_t u32;

/* What the command line asked for (main.c). */
struct tl_config {
    char run[128];          /* tern.run=checks+bench   (+ or , between words) */
    bool pv;                /* tern.pv=1: a Xen-ABI PV platform (Xen, Tern) */
    int vcpus;              /* tern.vcpus=N: the vCPUs the platform gave (0: not told) */
    bool icount;            /* tern.clock=icount: the TSC counts instructions */
    long iters;             /* tern.iters=N: measured iterations (0: each benchmark's own) */
    char helper[64];        /* the tiny exec target (tern.helper=, default /bin/tl-exit) */
    char tmpfs_dir[64];     /* where the tmpfs check mounts (tern.tmpfs=, default /mnt/tl) */
};
extern struct tl_config cfg;

/* One whole line on stdout in one write(): lines of processes never mix. */
void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The body of a check: true when it holds; a one-line detail either way. */
typedef bool (*check_fn)(char *detail, size_t size);
/* Run fn in a child (alarm after timeout_s) and print its CHECK line. */
void run_check(const char *name, check_fn fn, unsigned timeout_s);
/* snprintf that appends at the end of what buf already holds. */
void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void run_checks(void);      /* checks.c */
bool check_mm_churn(char *d, size_t n);         /* checks_data.c */
bool check_pipe_pingpong(char *d, size_t n);
bool check_tmpfs(char *d, size_t n);
void run_benchmarks(void);  /* bench.c */

/* Shared helpers (main.c). */
int read_file(const char *path, char *buf, size_t size);   /* bytes read, -errno */
long proc_stat_ppid(void);
double mono_seconds(void);
/* fork + execve(path, argv) + waitpid: the raw wait status, or -errno. */
int spawn_wait(const char *path, char *const argv[]);
/* Write v to *p; returns the signal the write raised (SIGSEGV...), 0 if none. */
int probe_write(volatile u64 *p, u64 v);

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((u64)hi << 32) | lo;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
