/*
 * tl-crash - an /init that crashes the kernel on purpose (the kernel runs it
 * instead of /init when told rdinit=/bin/tl-crash): it mounts /proc and
 * writes "c" to /proc/sysrq-trigger.  It never forks and needs no C library
 * (raw system calls, like tl-exit), so the crash test depends on nothing but
 * a booted kernel and its console.
 */
int tl_main(void);

__asm__(".globl _start\n"
        "_start:\n"
        "  call tl_main\n"
        "  hlt\n");

static long sys(long nr, long a, long b, long c, long d)
{
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

enum { SYS_write = 1, SYS_open = 2, SYS_pause = 34, SYS_mount = 165, SYS_reboot = 169 };

static void say(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys(SYS_write, 1, (long)s, n, 0);
}

int tl_main(void)
{
    say("ternlinux-crash: user space reached\n");
    if (sys(SYS_mount, (long)"proc", (long)"/proc", (long)"proc", 0) < 0)
        say("ternlinux-crash: mount /proc failed\n");
    say("ternlinux-crash: crashing the kernel on purpose (echo c > /proc/sysrq-trigger)\n");
    long fd = sys(SYS_open, (long)"/proc/sysrq-trigger", 1 /* O_WRONLY */, 0, 0);
    if (fd >= 0 && sys(SYS_write, fd, (long)"c", 1, 0) == 1)
        say("ternlinux-crash: still alive after the write\n");
    say("RESULT ERROR the kernel survived a write of c to /proc/sysrq-trigger\n");
    sys(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc /* LINUX_REBOOT_CMD_POWER_OFF */, 0);
    for (;;)
        sys(SYS_pause, 0, 0, 0, 0);
}
