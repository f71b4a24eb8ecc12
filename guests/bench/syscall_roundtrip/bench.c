/*
 * syscall_roundtrip - user mode -> kernel -> user mode (../shared/BENCHMARKS.md).
 * PV: user mode (own user L4, MMUEXT_NEW_USER_BASEPTR) executes `syscall`;
 * Xen bounces it to the syscall callback, a few instructions of assembly
 * that count the call and return by HYPERVISOR_iret with VGCF_in_syscall.
 * Native: `syscall` in the plain VM's ring 3, handler counts and `sysretq`.
 * The loop itself runs in user mode (rdtsc is allowed there); the warm-up
 * checks one callback per system call.  The program leaves user mode with
 * ud2, caught by a hook that returns to the kernel.
 */
#include "guest.h"

const char test_title[] = "bench syscall_roundtrip: user syscall -> kernel -> user";

u64 bench_sys_count;
extern __noreturn void user_leave(u64 value);
extern char native_syscall_entry[];
extern char pv_trap_257[];

__asm__(
    ".text\n"
    "pv_bench_sys:\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  incq bench_sys_count(%rip)\n"
    "  push $" HC_STR(VGCF_in_syscall) "\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n"
    "native_bench_sys:\n"
    "  incq bench_sys_count(%rip)\n"
    "  sysretq\n");
extern char pv_bench_sys[], native_bench_sys[];

static struct bench b;
static u64 iters, warm_calls;

static u64 sys_timed(void)
{
    u64 dt;
    __asm__ volatile(TSC_START "syscall\n" TSC_STOP : "=a"(dt) :: "rdx", "r12", "rcx", "r11", "memory");
    return dt;
}

static void user_bench(void)
{
    u64 before = bench_sys_count;
    for (int i = 0; i < 200; i++)
        sys_timed();
    warm_calls = bench_sys_count - before;
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, sys_timed());
    __asm__ volatile("ud2");
    for (;;)
        ;
}

static bool leave_hook(struct regs *r)
{
    user_leave(0);
}

static void set_callback(void *pv, void *native)
{
    if (platform_is_pv) {
        struct callback_register cb = { .type = CALLBACKTYPE_syscall, .address = (unsigned long)pv };
        long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
        if (rc)
            guest_panic("callback_op(syscall): %ld", rc);
    } else {
        wrmsr(MSR_LSTAR, (u64)native);
    }
}

void test_main(void)
{
    iters = bench_iters(2000, 1000000);
    bench_begin(&b, "syscall_roundtrip");
    b.warmups = 200;                        /* user_bench's, inside the events' window */
    set_callback(pv_bench_sys, native_bench_sys);
    trap_set_hook(6, leave_hook);
    user_run(user_bench);
    trap_set_hook(6, NULL);
    set_callback(pv_trap_257, native_syscall_entry);
    bench_report(&b, "");                   /* before any output (the events' window) */
    CHECK_EQ("warmup.one_callback_per_syscall", warm_calls, 200);
}
