/*
 * main.c - ternlinux's orders, its output, and the life cycle of a check.
 *
 * The orders come from the kernel command line (/proc/cmdline), then from the
 * program's arguments (same words), so that the program also runs on a
 * development host:  ternlinux tern.run=checks tern.vcpus=$(nproc)
 *
 * Each check runs in a child process: a check that kills its process (a fault
 * the kernel turns into SIGSEGV, say) or hangs past its alarm fails alone, with
 * the signal named, and the rest still run.  The child sends its verdict and
 * detail up a pipe; the parent prints the CHECK line.  The verdict is the worst
 * of all checks: SUCCESS, or FAILURE naming the first failed check.
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tl_config cfg = {
    .run = "checks",
    .helper = "/bin/tl-exit",
    .tmpfs_dir = "/mnt/tl",
};

static unsigned nr_checks, nr_failed;
static char first_failure[300];

void emit(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(1, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (int)w;
    }
}

void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

int read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t r = read(fd, buf + len, size - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fd);
    return (int)len;
}

long proc_stat_ppid(void)
{
    /* /proc/self/stat: pid (comm) state ppid ...; comm may hold spaces. */
    char buf[512];
    if (read_file("/proc/self/stat", buf, sizeof(buf)) <= 0)
        return -1;
    char *p = strrchr(buf, ')');
    char state;
    long ppid;
    if (!p || sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
        return -1;
    return ppid;
}

double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int spawn_wait(const char *path, char *const argv[])
{
    static char *const envp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        execve(path, argv, envp);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return st;
}

static sigjmp_buf probe_jmp;
static volatile sig_atomic_t probe_sig;

static void probe_handler(int sig)
{
    probe_sig = sig;
    siglongjmp(probe_jmp, 1);
}

int probe_write(volatile u64 *p, u64 v)
{
    struct sigaction sa = { .sa_handler = probe_handler }, old_segv, old_bus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    probe_sig = 0;
    if (sigsetjmp(probe_jmp, 1) == 0)
        *p = v;
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return probe_sig;
}

static void describe_status(char *buf, size_t size, int st, unsigned timeout_s)
{
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        snprintf(buf, size, "no verdict after %u s (timed out)", timeout_s);
    else if (WIFSIGNALED(st))
        snprintf(buf, size, "the check's process died of signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else
        snprintf(buf, size, "the check's process exited with status %d without a verdict",
                 WEXITSTATUS(st));
}

void run_check(const char *name, check_fn fn, unsigned timeout_s)
{
    int p[2];
    char msg[700] = "";
    bool ok = false;

    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(msg, sizeof(msg), "Fpipe: %s", strerror(errno));
        goto report;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, sizeof(msg), "Ffork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        goto report;
    }
    if (pid == 0) {
        close(p[0]);
        alarm(timeout_s);
        char detail[600] = "";
        bool r = fn(detail, sizeof(detail));
        char out[sizeof(msg)];
        int n = snprintf(out, sizeof(out), "%c%s", r ? 'P' : 'F', detail);
        if (n > (int)sizeof(out) - 1)
            n = (int)sizeof(out) - 1;
        if (write(p[1], out, (size_t)n) != n)
            _exit(3);
        _exit(0);
    }
    close(p[1]);
    /* Wait for the child first: a grandchild left behind must not keep the
     * pipe open and hang us.  The verdict (< PIPE_BUF) is already in the pipe. */
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(p[0], msg, sizeof(msg) - 1);
    close(p[0]);
    msg[n > 0 ? n : 0] = '\0';
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) || n <= 0) {
        char why[200];
        describe_status(why, sizeof(why), st, timeout_s);
        char partial[sizeof(msg)];
        snprintf(partial, sizeof(partial), "%s", n > 1 ? msg + 1 : "");
        snprintf(msg, sizeof(msg), "F%s", why);
        if (partial[0])
            append(msg, sizeof(msg), "; %.400s", partial);
    }
report:
    ok = msg[0] == 'P';
    for (char *c = msg; *c; c++)            /* one line per check */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    nr_checks++;
    emit("CHECK %s %s %s", name, ok ? "PASS" : "FAIL", msg[0] ? msg + 1 : "");
    if (!ok && nr_failed++ == 0)
        snprintf(first_failure, sizeof(first_failure), "check %s failed: %.200s", name,
                 msg[0] ? msg + 1 : "");
}

static void set_word(const char *w)
{
    const char *v;
    if (!strncmp(w, "tern.run=", 9)) {
        snprintf(cfg.run, sizeof(cfg.run), "%s", w + 9);
    } else if (!strncmp(w, "tern.pv=", 8)) {
        cfg.pv = atoi(w + 8) != 0;
    } else if (!strncmp(w, "tern.vcpus=", 11)) {
        cfg.vcpus = atoi(w + 11);
    } else if (!strncmp(w, "tern.clock=", 11)) {
        v = w + 11;
        cfg.icount = !strcmp(v, "icount");
    } else if (!strncmp(w, "tern.iters=", 11)) {
        cfg.iters = atol(w + 11);
    } else if (!strncmp(w, "tern.helper=", 12)) {
        snprintf(cfg.helper, sizeof(cfg.helper), "%s", w + 12);
    } else if (!strncmp(w, "tern.tmpfs=", 11)) {
        snprintf(cfg.tmpfs_dir, sizeof(cfg.tmpfs_dir), "%s", w + 11);
    }
}

static bool wants(const char *what)
{
    size_t n = strlen(what);
    for (const char *p = cfg.run; *p;) {
        const char *end = strpbrk(p, ",+");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, what, n))
            return true;
        p += len + (end ? 1 : 0);
    }
    return false;
}

int main(int argc, char **argv)
{
    char line[4096];
    if (read_file("/proc/cmdline", line, sizeof(line)) > 0)
        for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n"))
            set_word(w);
    for (int i = 1; i < argc; i++)
        set_word(argv[i]);

    emit("ternlinux: run=%s pv=%d vcpus=%d clock=%s iters=%ld", cfg.run, cfg.pv, cfg.vcpus,
         cfg.icount ? "icount" : "wall", cfg.iters);
    if (wants("checks"))
        run_checks();
    if (wants("bench"))
        run_benchmarks();
    if (nr_failed)
        emit("RESULT FAILURE %s", first_failure);
    else if (nr_checks)
        emit("RESULT SUCCESS %u checks, 0 failed", nr_checks);
    else
        emit("RESULT ERROR nothing to run (tern.run=%s)", cfg.run);
    return 0;
}
