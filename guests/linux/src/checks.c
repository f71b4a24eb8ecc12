/*
 * checks.c - the in-guest checks of issue 11 (item 5).  Each one asserts
 * behaviour that a broken platform gets wrong: contents that must come back
 * bit for bit, exit statuses that only the exec'd program produces, counts
 * the platform was told, the guest's own clock.
 *
 *   init.mounts           /init mounted proc, sysfs and devtmpfs
 *   hypervisor.type       /sys/hypervisor/type reads "xen" (PV platforms only:
 *                         tern.pv=1; a plain VM has no hypervisor to name)
 *   cpu.count             /proc/cpuinfo, /sys and sysconf list exactly the
 *                         tern.vcpus vCPUs, numbered 0..N-1
 *   cpu.each_runs         a process pinned to each vCPU runs there
 *   proc.fork_exec_1000   1,000 fork + execve + exit + waitpid cycles, each
 *                         child's status set by the exec'd program's argument
 *   mm.churn_64m, pipe.pingpong, tmpfs.checksum_64m: checks_data.c
 *   time.sleep_1s         `sleep 1` lasts at least 1 s of CLOCK_MONOTONIC
 *   time.realtime         CLOCK_REALTIME is a plausible date (the platform
 *                         handed over a wall clock)
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- init.mounts ---- */

static bool mounted(const char *mounts, const char *dir, const char *type)
{
    char want[128];
    snprintf(want, sizeof(want), " %s %s ", dir, type);
    return strstr(mounts, want) != NULL;
}

static bool check_mounts(char *d, size_t n)
{
    static char buf[16384];
    int r = read_file("/proc/mounts", buf, sizeof(buf));
    if (r <= 0) {
        snprintf(d, n, "/proc/mounts: %s", strerror(-r));
        return false;
    }
    bool p = mounted(buf, "/proc", "proc"), s = mounted(buf, "/sys", "sysfs"),
         v = mounted(buf, "/dev", "devtmpfs");
    snprintf(d, n, "proc on /proc: %s, sysfs on /sys: %s, devtmpfs on /dev: %s",
             p ? "yes" : "NO", s ? "yes" : "NO", v ? "yes" : "NO");
    return p && s && v;
}

/* ---- hypervisor.type ---- */

static bool check_hypervisor_type(char *d, size_t n)
{
    char buf[64];
    int r = read_file("/sys/hypervisor/type", buf, sizeof(buf));
    if (r < 0) {
        snprintf(d, n, "/sys/hypervisor/type: %s", strerror(-r));
        return false;
    }
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(d, n, "/sys/hypervisor/type reads \"%s\"", buf);
    return strcmp(buf, "xen") == 0;
}

/* ---- cpu.count, cpu.each_runs ---- */

static int cpuinfo_processors(unsigned *mask_out, char *d, size_t n)
{
    static char buf[65536];
    int r = read_file("/proc/cpuinfo", buf, sizeof(buf));
    if (r <= 0) {
        snprintf(d, n, "/proc/cpuinfo: %s", strerror(-r));
        return -1;
    }
    int count = 0;
    unsigned mask = 0;
    for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        int id;
        if (sscanf(line, "processor : %d", &id) == 1 || sscanf(line, "processor\t: %d", &id) == 1) {
            count++;
            if (id >= 0 && id < 32)
                mask |= 1u << id;
        }
    }
    *mask_out = mask;
    return count;
}

static bool check_cpu_count(char *d, size_t n)
{
    int want = cfg.vcpus;
    if (want <= 0) {
        snprintf(d, n, "the platform did not say how many vCPUs it gave (tern.vcpus=)");
        return false;
    }
    unsigned mask;
    int count = cpuinfo_processors(&mask, d, n);
    if (count < 0)
        return false;
    char online[64] = "", expect_online[64];
    read_file("/sys/devices/system/cpu/online", online, sizeof(online));
    online[strcspn(online, "\n")] = '\0';
    if (want == 1)
        snprintf(expect_online, sizeof(expect_online), "0");
    else
        snprintf(expect_online, sizeof(expect_online), "0-%d", want - 1);
    long conf = sysconf(_SC_NPROCESSORS_ONLN);
    bool numbered = want < 32 && mask == (1u << want) - 1;
    snprintf(d, n, "/proc/cpuinfo lists %d processors (%s), /sys/devices/system/cpu/online \"%s\", "
             "%ld online; the platform gave %d", count, numbered ? "numbered 0..N-1" : "NOT numbered 0..N-1",
             online, conf, want);
    return count == want && numbered && !strcmp(online, expect_online) && conf == want;
}

static bool check_cpu_each_runs(char *d, size_t n)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1 || ncpu > 64) {
        snprintf(d, n, "sysconf says %ld CPUs online", ncpu);
        return false;
    }
    int good = 0;
    for (int cpu = 0; cpu < ncpu; cpu++) {
        pid_t pid = fork();
        if (pid == 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            if (sched_setaffinity(0, sizeof(set), &set) < 0)
                _exit(2);
            volatile u64 spin = 0;
            for (int i = 0; i < 200; i++) {
                if (sched_getcpu() != cpu)
                    _exit(3);
                for (int j = 0; j < 10000; j++)
                    spin += (u64)j;
                sched_yield();
            }
            _exit(0);
        }
        int st = 0;
        if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            good++;
        else
            append(d, n, "CPU %d: %s; ", cpu, pid < 0 ? "fork failed" :
                   WIFEXITED(st) && WEXITSTATUS(st) == 2 ? "sched_setaffinity failed" :
                   WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "ran on another CPU" : "child died");
    }
    append(d, n, "a process pinned to each of %ld CPUs ran there on %d of them", ncpu, good);
    return good == ncpu;
}

/* ---- proc.fork_exec_1000 ---- */

static bool check_fork_exec(char *d, size_t n)
{
    enum { CYCLES = 1000 };
    double t0 = mono_seconds();
    int good = 0;
    for (int i = 0; i < CYCLES; i++) {
        char arg[16];
        int want = i % 250 + 1;
        snprintf(arg, sizeof(arg), "%d", want);
        char *argv[] = { "tl-exit", arg, NULL };
        int st = spawn_wait(cfg.helper, argv);
        if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == want) {
            good++;
            continue;
        }
        if (st < 0)
            snprintf(d, n, "cycle %d: fork/wait failed: %s; ", i, strerror(-st));
        else if (WIFEXITED(st))
            snprintf(d, n, "cycle %d: %s exited %d, expected %d%s; ", i, cfg.helper,
                     WEXITSTATUS(st), want, WEXITSTATUS(st) == 127 ? " (execve failed)" : "");
        else
            snprintf(d, n, "cycle %d: child killed by signal %d; ", i, WTERMSIG(st));
        break;
    }
    append(d, n, "%d of %d fork+exec+exit cycles ended with the status the exec'd program chose, "
           "in %.2f s", good, CYCLES, mono_seconds() - t0);
    return good == CYCLES;
}

/* ---- time ---- */

static bool check_sleep(char *d, size_t n)
{
    char *argv[] = { "sleep", "1", NULL };
    double t0 = mono_seconds();
    int st = spawn_wait("/bin/sleep", argv);
    double dt = mono_seconds() - t0;
    bool exited = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    snprintf(d, n, "`sleep 1` %s after %.6f s of CLOCK_MONOTONIC", exited ? "exited 0" : "FAILED", dt);
    return exited && dt >= 1.0;
}

static bool check_realtime(char *d, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(d, n, "CLOCK_REALTIME reads %04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return tm.tm_year + 1900 >= 2024;
}

void run_checks(void)
{
    run_check("init.mounts", check_mounts, 10);
    if (cfg.pv)
        run_check("hypervisor.type", check_hypervisor_type, 10);
    run_check("cpu.count", check_cpu_count, 10);
    run_check("cpu.each_runs", check_cpu_each_runs, 120);
    run_check("proc.fork_exec_1000", check_fork_exec, 900);
    run_check("mm.churn_64m", check_mm_churn, 900);
    run_check("pipe.pingpong", check_pipe_pingpong, 600);
    run_check("tmpfs.checksum_64m", check_tmpfs, 900);
    run_check("time.sleep_1s", check_sleep, 60);
    run_check("time.realtime", check_realtime, 10);
}
