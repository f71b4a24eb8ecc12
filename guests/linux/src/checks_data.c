/*
 * checks_data.c - the in-guest checks whose data must come back bit for bit
 * (checks.c lists them all and runs them):
 *
 *   mm.churn_64m          64 MiB of mappings filled, made read-only (a write
 *                         must fault), unmapped and remapped, moved by mremap,
 *                         shared copy-on-write with a child; contents checked
 *                         word by word after every step
 *   pipe.pingpong         10,000 round trips and 32 x 256 KiB echoed between
 *                         two processes
 *   tmpfs.checksum_64m    64 MiB of pseudo-random data written to a fresh
 *                         tmpfs, read back in odd-sized reads, same data
 */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB (1024UL * 1024UL)

/* ---- mm.churn_64m ---- */

#define SLOT_BYTES (1 * MiB)
#define NSLOTS 64
#define SLOT_WORDS (SLOT_BYTES / 8)

static u64 pattern(unsigned slot, unsigned gen, size_t i)
{
    return ((u64)slot << 52) ^ ((u64)gen << 44) ^ ((u64)i * 0x9E3779B97F4A7C15ULL);
}

static void fill(u64 *p, unsigned slot, unsigned gen)
{
    for (size_t i = 0; i < SLOT_WORDS; i++)
        p[i] = pattern(slot, gen, i);
}

/* -1 when the slot holds generation gen, else the first wrong word. */
static long verify(const u64 *p, unsigned slot, unsigned gen, size_t words)
{
    for (size_t i = 0; i < words; i++)
        if (p[i] != pattern(slot, gen, i))
            return (long)i;
    return -1;
}

struct churn {
    u64 *slot[NSLOTS];
    unsigned gen[NSLOTS];
    u64 bytes_checked;
};

static bool churn_verify_all(struct churn *c, const char *when, char *d, size_t n)
{
    for (unsigned s = 0; s < NSLOTS; s++) {
        long bad = verify(c->slot[s], s, c->gen[s], SLOT_WORDS);
        if (bad >= 0) {
            snprintf(d, n, "%s: slot %u word %ld reads %#llx, expected %#llx (generation %u)",
                     when, s, bad, (unsigned long long)c->slot[s][bad],
                     (unsigned long long)pattern(s, c->gen[s], (size_t)bad), c->gen[s]);
            return false;
        }
        c->bytes_checked += SLOT_BYTES;
    }
    return true;
}

static u64 *map_slot(void)
{
    void *p = mmap(NULL, SLOT_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

bool check_mm_churn(char *d, size_t n)
{
    static struct churn c;
    unsigned gen = 1;
    double t0 = mono_seconds();
    char when[64];

    for (unsigned round = 0; round < 3; round++) {
        /* 1. Map what is missing and fill everything. */
        for (unsigned s = 0; s < NSLOTS; s++) {
            if (!c.slot[s] && !(c.slot[s] = map_slot())) {
                snprintf(d, n, "round %u: mmap of slot %u: %s", round, s, strerror(errno));
                return false;
            }
            fill(c.slot[s], s, c.gen[s] = gen++);
        }
        snprintf(when, sizeof(when), "round %u after filling", round);
        if (!churn_verify_all(&c, when, d, n))
            return false;

        /* 2. Odd slots read-only: contents stay, a write faults and changes nothing. */
        for (unsigned s = 1; s < NSLOTS; s += 2)
            if (mprotect(c.slot[s], SLOT_BYTES, PROT_READ) < 0) {
                snprintf(d, n, "round %u: mprotect(RO) slot %u: %s", round, s, strerror(errno));
                return false;
            }
        snprintf(when, sizeof(when), "round %u after mprotect RO", round);
        if (!churn_verify_all(&c, when, d, n))
            return false;
        unsigned probe_slot = 1 + 2 * (round % (NSLOTS / 2));
        volatile u64 *target = &c.slot[probe_slot][4096 / 8 * round + 3];
        u64 before = *target;
        int sig = probe_write(target, ~before);
        if (sig != SIGSEGV || *target != before) {
            snprintf(d, n, "round %u: a write to read-only slot %u %s (value now %#llx, was %#llx)",
                     round, probe_slot, sig ? "raised the wrong signal" : "did not fault",
                     (unsigned long long)*target, (unsigned long long)before);
            return false;
        }

        /* 3. Every third slot unmapped and mapped afresh (a fresh mapping is zero). */
        for (unsigned s = 0; s < NSLOTS; s += 3) {
            if (munmap(c.slot[s], SLOT_BYTES) < 0) {
                snprintf(d, n, "round %u: munmap slot %u: %s", round, s, strerror(errno));
                return false;
            }
            if (!(c.slot[s] = map_slot())) {
                snprintf(d, n, "round %u: mmap again slot %u: %s", round, s, strerror(errno));
                return false;
            }
            for (size_t i = 0; i < SLOT_WORDS; i += 512)
                if (c.slot[s][i] != 0) {
                    snprintf(d, n, "round %u: fresh mapping of slot %u is not zero at word %zu",
                             round, s, i);
                    return false;
                }
            fill(c.slot[s], s, c.gen[s] = gen++);
        }

        /* 4. Odd slots writable again, and rewritten. */
        for (unsigned s = 1; s < NSLOTS; s += 2) {
            if (mprotect(c.slot[s], SLOT_BYTES, PROT_READ | PROT_WRITE) < 0) {
                snprintf(d, n, "round %u: mprotect(RW) slot %u: %s", round, s, strerror(errno));
                return false;
            }
            fill(c.slot[s], s, c.gen[s] = gen++);
        }
        snprintf(when, sizeof(when), "round %u after unmap/remap and RW", round);
        if (!churn_verify_all(&c, when, d, n))
            return false;

        /* 5. mremap: grow one slot (the kernel moves its pages), then shrink it back. */
        unsigned ms = 5 + round;
        void *grown = mremap(c.slot[ms], SLOT_BYTES, 2 * SLOT_BYTES, MREMAP_MAYMOVE);
        if (grown == MAP_FAILED) {
            snprintf(d, n, "round %u: mremap grow slot %u: %s", round, ms, strerror(errno));
            return false;
        }
        c.slot[ms] = grown;
        long bad = verify(c.slot[ms], ms, c.gen[ms], SLOT_WORDS);
        if (bad >= 0 || c.slot[ms][SLOT_WORDS + 7] != 0) {
            snprintf(d, n, "round %u: slot %u after mremap to 2 MiB: word %ld wrong", round, ms, bad);
            return false;
        }
        void *shrunk = mremap(grown, 2 * SLOT_BYTES, SLOT_BYTES, 0);
        if (shrunk != grown) {
            snprintf(d, n, "round %u: mremap shrink slot %u: %s", round, ms, strerror(errno));
            return false;
        }

        /* 6. Copy-on-write: a child reads everything, rewrites the even slots;
         * the parent's memory must not change. */
        pid_t pid = fork();
        if (pid == 0) {
            char cd[200];
            if (!churn_verify_all(&c, "child after fork", cd, sizeof(cd)))
                _exit(10);
            for (unsigned s = 0; s < NSLOTS; s += 2)
                fill(c.slot[s], s, 0xfff);
            for (unsigned s = 0; s < NSLOTS; s += 2)
                if (verify(c.slot[s], s, 0xfff, SLOT_WORDS) >= 0)
                    _exit(11);
            _exit(0);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            snprintf(d, n, "round %u: the forked child %s", round,
                     pid < 0 ? "could not be created" :
                     WIFSIGNALED(st) ? "was killed by a signal" :
                     WEXITSTATUS(st) == 10 ? "saw wrong contents after fork" :
                     WEXITSTATUS(st) == 11 ? "could not rewrite its copy" : "failed");
            return false;
        }
        snprintf(when, sizeof(when), "round %u after the child's copy-on-write", round);
        if (!churn_verify_all(&c, when, d, n))
            return false;
    }
    for (unsigned s = 0; s < NSLOTS; s++)
        if (munmap(c.slot[s], SLOT_BYTES) < 0) {
            snprintf(d, n, "final munmap of slot %u: %s", s, strerror(errno));
            return false;
        }
    snprintf(d, n, "3 rounds over %lu MiB (fill, RO + faulting write, unmap/remap, mremap, "
             "fork + COW): %llu MiB verified in %.2f s", NSLOTS * SLOT_BYTES / MiB,
             (unsigned long long)(c.bytes_checked / MiB), mono_seconds() - t0);
    return true;
}

/* ---- pipe.pingpong ---- */

static bool read_full(int fd, void *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t r = read(fd, (char *)buf + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        off += (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += (size_t)w;
    }
    return true;
}

#define PP_TRIPS 10000
#define PP_BULK 32
#define PP_BULK_BYTES (256 * 1024)

static void pingpong_child(int in, int out)
{
    static u64 buf[PP_BULK_BYTES / 8];
    for (int i = 0; i < PP_TRIPS; i++) {
        u64 v;
        if (!read_full(in, &v, sizeof(v)))
            _exit(20);
        v = v * 3 + 1;
        if (!write_full(out, &v, sizeof(v)))
            _exit(21);
    }
    for (int m = 0; m < PP_BULK; m++) {
        if (!read_full(in, buf, sizeof(buf)))
            _exit(22);
        if (!write_full(out, buf, sizeof(buf)))
            _exit(23);
    }
    _exit(0);
}

bool check_pipe_pingpong(char *d, size_t n)
{
    static u64 sent[PP_BULK_BYTES / 8], got[PP_BULK_BYTES / 8];
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0) {
        snprintf(d, n, "pipe: %s", strerror(errno));
        return false;
    }
    double t0 = mono_seconds();
    pid_t pid = fork();
    if (pid == 0) {
        close(a[1]);
        close(b[0]);
        pingpong_child(a[0], b[1]);
    }
    close(a[0]);
    close(b[1]);
    bool ok = pid > 0;
    int trips = 0, bulks = 0;
    for (int i = 0; ok && i < PP_TRIPS; i++) {
        u64 v = (u64)i * 0x100000001ULL + 17, r = 0;
        ok = write_full(a[1], &v, sizeof(v)) && read_full(b[0], &r, sizeof(r)) && r == v * 3 + 1;
        if (ok)
            trips++;
        else
            snprintf(d, n, "round trip %d: sent %#llx, answer %#llx (expected %#llx); ", i,
                     (unsigned long long)v, (unsigned long long)r, (unsigned long long)(v * 3 + 1));
    }
    for (int m = 0; ok && m < PP_BULK; m++) {
        for (size_t i = 0; i < ARRAY_SIZE(sent); i++)
            sent[i] = pattern((unsigned)m, 77, i);
        memset(got, 0, sizeof(got));
        ok = write_full(a[1], sent, sizeof(sent)) && read_full(b[0], got, sizeof(got)) &&
             memcmp(sent, got, sizeof(sent)) == 0;
        if (ok)
            bulks++;
        else
            snprintf(d, n, "bulk message %d (256 KiB) came back wrong or short; ", m);
    }
    close(a[1]);
    close(b[0]);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    bool child_ok = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    append(d, n, "%d of %d round trips, %d of %d 256 KiB messages echoed intact, child %s, %.2f s",
           trips, PP_TRIPS, bulks, PP_BULK, child_ok ? "exited 0" : "FAILED", mono_seconds() - t0);
    return ok && child_ok;
}

/* ---- tmpfs.checksum_64m ---- */

#define TMPFS_BYTES (64 * MiB)
#define CHUNK (1 * MiB)

struct stream { u64 state; };

static u64 next_word(struct stream *s)
{
    /* xorshift64* */
    u64 x = s->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static u64 checksum_step(u64 h, u64 w)
{
    return (h ^ w) * 0x100000001B3ULL + (h >> 29);
}

bool check_tmpfs(char *d, size_t n)
{
    static u64 buf[CHUNK / 8];
    const char *dir = cfg.tmpfs_dir;
    char path[128];
    snprintf(path, sizeof(path), "%s/random.bin", dir);
    mkdir(dir, 0700);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=96m,mode=0700") < 0) {
        snprintf(d, n, "mount tmpfs on %s: %s", dir, strerror(errno));
        return false;
    }
    bool ok = false;
    double t0 = mono_seconds();
    struct stream gen = { .state = 0x853c49e6748fea9bULL ^ (u64)getpid() ^ rdtsc() };
    u64 seed = gen.state, h_write = 0xcbf29ce484222325ULL, h_read = h_write;
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(d, n, "create %s: %s", path, strerror(errno));
        goto out;
    }
    for (size_t off = 0; off < TMPFS_BYTES; off += CHUNK) {
        for (size_t i = 0; i < ARRAY_SIZE(buf); i++)
            h_write = checksum_step(h_write, buf[i] = next_word(&gen));
        /* 64 KiB writes. */
        for (size_t w = 0; w < CHUNK; w += 65536)
            if (!write_full(fd, (char *)buf + w, 65536)) {
                snprintf(d, n, "write at %zu: %s", off + w, strerror(errno));
                close(fd);
                goto out;
            }
    }
    struct stat sb;
    struct statvfs vfs;
    if (fsync(fd) < 0 || fstat(fd, &sb) < 0 || close(fd) < 0 || statvfs(dir, &vfs) < 0) {
        snprintf(d, n, "fsync/fstat/close/statvfs: %s", strerror(errno));
        goto out;
    }
    u64 used = (u64)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
    if ((u64)sb.st_size != TMPFS_BYTES || used < TMPFS_BYTES) {
        snprintf(d, n, "file is %lld bytes, the tmpfs has %llu bytes in use; expected %lu",
                 (long long)sb.st_size, (unsigned long long)used, TMPFS_BYTES);
        goto out;
    }

    /* Read back in odd-sized reads (100,003 bytes: never aligned), a megabyte
     * at a time, compared word by word with the regenerated stream. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(d, n, "reopen %s: %s", path, strerror(errno));
        goto out;
    }
    struct stream again = { .state = seed };
    size_t total = 0;
    for (size_t off = 0; off < TMPFS_BYTES; off += CHUNK) {
        size_t have = 0;
        while (have < CHUNK) {
            size_t want = CHUNK - have < 100003 ? CHUNK - have : 100003;
            ssize_t r = read(fd, (char *)buf + have, want);
            if (r <= 0) {
                snprintf(d, n, "read at %zu: %s", off + have, r < 0 ? strerror(errno) : "early end of file");
                close(fd);
                goto out;
            }
            have += (size_t)r;
        }
        total += have;
        for (size_t i = 0; i < ARRAY_SIZE(buf); i++) {
            u64 expect = next_word(&again);
            h_read = checksum_step(h_read, buf[i]);
            if (buf[i] != expect) {
                snprintf(d, n, "byte %zu reads %#llx, written %#llx", off + i * 8,
                         (unsigned long long)buf[i], (unsigned long long)expect);
                close(fd);
                goto out;
            }
        }
    }
    char extra;
    ssize_t tail = read(fd, &extra, 1);
    close(fd);
    if (tail != 0 || h_read != h_write) {
        snprintf(d, n, "%s", tail != 0 ? "data beyond 64 MiB" : "checksums differ");
        goto out;
    }
    if (unlink(path) < 0 || statvfs(dir, &vfs) < 0) {
        snprintf(d, n, "unlink: %s", strerror(errno));
        goto out;
    }
    u64 used_after = (u64)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
    if (used_after >= MiB) {
        snprintf(d, n, "after unlink the tmpfs still holds %llu bytes", (unsigned long long)used_after);
        goto out;
    }
    snprintf(d, n, "64 MiB written in 64 KiB writes, read back in 100,003-byte reads: %zu bytes, "
             "checksum %016llx both ways, space freed on unlink; %.2f s", total,
             (unsigned long long)h_read, mono_seconds() - t0);
    ok = true;
out:
    if (umount(dir) < 0 && ok) {
        snprintf(d, n, "umount %s: %s", dir, strerror(errno));
        ok = false;
    }
    return ok;
}
