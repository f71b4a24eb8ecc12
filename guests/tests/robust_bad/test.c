/*
 * robust_bad - a guest that misbehaves on purpose, so that the hypervisor
 * must contain it: the domain ends (crashed, or by its watchdog), nothing
 * else does.  "mode=NAME" on the command line picks the misbehaviour:
 *
 *   stack_rsp   (default) the stack pointer becomes non-canonical, then
 *               `ret`: the fault cannot be delivered (no stack to put the
 *               frame on), the hypervisor must crash the domain
 *   stack_null  the stack pointer points into the unmapped page 0
 *   stack_ro    the stack pointer points into a read-only page table (an
 *               empty slot of our L4: `ret` jumps to 0)
 *   stack_ro_data  ... into a read-only data page
 *   stack_xen   the stack pointer points into the hypervisor's range
 *   stack       the stack's contents are smashed (return addresses
 *               included) and the function returns into them: the fault
 *               reaches our own handler, which ends the guest as crashed
 *   trap_loop   the #PF/#GP handlers point at unmapped memory: every
 *               delivery faults again, frames pile up until the stack runs
 *               out
 *   garbage     no trap table at all, then a jump into pseudo-random bytes
 *               ("seed=N"; a 3 s watchdog backs it up should they loop)
 *   spin        a 2 s SCHEDOP_watchdog, events masked, then a busy loop
 *               forever: the watchdog must end the domain
 *   hcall_fuzz  "count=N" (default 50000) hypercalls with random numbers
 *               and random arguments drawn from interesting values
 *               (pointers to our own scratch pages, read-only pages,
 *               unmapped, hypervisor and non-canonical addresses, edge
 *               integers); shutdown, iret and the trap and callback
 *               registrations are left out so that it keeps running; then
 *               it crashes itself (a 10 s watchdog backs it up)
 *
 * Its meta runs the default mode on Xen and Tern alone (both crash the
 * guest); tests/integration/robustness.py runs every mode beside
 * well-behaved guests on Tern (configs/tests/robust-*.cfg).
 */
#include "guest.h"

const char test_title[] = "robust_bad: a guest that misbehaves on purpose";

static u64 rng = 1;
static u64 rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

static void watchdog(unsigned secs)
{
    struct sched_watchdog w = { .id = 0, .timeout = secs };
    long rc = HYPERVISOR_sched_op(SCHEDOP_watchdog, &w);
    printf("robust_bad: watchdog armed for %u s (id %ld)\n", secs, rc);
}

static __noreturn void with_rsp(u64 rsp)
{
    printf("robust_bad: stack pointer := %#lx, then ret\n", rsp);
    __asm__ volatile("mov %0, %%rsp\n ret" :: "r"(rsp) : "memory");
    __builtin_unreachable();
}

static __attribute__((noinline)) void smash(void)
{
    volatile u64 frame[16];
    /* Everything from here up to well above the caller's frames. */
    for (unsigned i = 0; i < 16 + 256; i++)
        ((volatile u64 *)frame)[i] = 0x4141414141414141ULL;
}

static u8 garbage[2 * 4096] __aligned(4096);

static __noreturn void run_garbage(void)
{
    for (unsigned i = 0; i < sizeof(garbage); i++)
        garbage[i] = (u8)rnd();
    /* Executable, whatever the builder gave the data pages. */
    for (unsigned i = 0; i < sizeof(garbage); i += PAGE_SIZE)
        HYPERVISOR_update_va_mapping((u64)garbage + i,
                                     (virt_to_mfn(garbage + i) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D,
                                     UVMF_INVLPG);
    watchdog(3);
    printf("robust_bad: no trap table, jumping into %zu random bytes\n", sizeof(garbage));
    HYPERVISOR_set_trap_table(NULL);
    ((void (*)(void))garbage)();
    for (;;)
        ;
}

/* ---- the hypercall fuzzer ---- */
static u8 scratch[4 * 4096] __aligned(4096);
static u8 scratch_ro[4096] __aligned(4096);
static u8 victim[4096] __aligned(4096);          /* remapped at will, never touched */

/* A frame number: one of our scratch pages, or one that is not ours (never
 * one holding our code, stack or tables: the fuzzer would only kill itself). */
static u64 scratch_frame(void)
{
    if (rnd() % 2)
        return virt_to_mfn(scratch + (rnd() % 4) * PAGE_SIZE);
    u64 mfn = 0x100 + rnd() % 0x3ff00;
    return pt_frame_is_ours(mfn) ? virt_to_mfn(scratch) : mfn;
}

static u64 arg_value(void)
{
    switch (rnd() % 24) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 2;
    case 3: return rnd() % 64;
    case 4: return 0x7fff;
    case 5: return 0x7fffffff;
    case 6: return 0xffffffff;
    case 7: return ~0ULL;
    case 8: return 1ULL << 63;
    case 9: return DOMID_SELF;
    case 10: return 0x10;                                   /* unmapped page 0 */
    case 11: return 0xffff830000000000ULL;                  /* hypervisor range */
    case 12: return 0xffff82d040000000ULL;
    case 13: return 0x0000800000000000ULL;                  /* non-canonical */
    case 14: return (u64)scratch_ro + (rnd() % 4096 & ~7ULL);
    case 15: return (u64)scratch + sizeof(scratch) - 8;     /* runs off the end */
    case 16: return rnd();
    case 17: return (scratch_frame() << PAGE_SHIFT) + (rnd() % 4096 & ~7ULL);  /* a machine address */
    case 18: return scratch_frame();                        /* a frame number */
    default: return (u64)scratch + (rnd() % sizeof(scratch) & ~7ULL);
    }
}

static bool skipped(u64 nr)
{
    switch (nr) {
    case __HYPERVISOR_set_trap_table:
    case __HYPERVISOR_set_callbacks:
    case __HYPERVISOR_sched_op_compat:
    case __HYPERVISOR_iret:
    case __HYPERVISOR_sched_op:
    case __HYPERVISOR_callback_op:
    case __HYPERVISOR_multicall:            /* would reach all of the above */
        return true;
    default:
        return false;
    }
}

static __noreturn void hcall_fuzz(void)
{
    char buf[24];
    u64 count = 50000;
    if (cmdline_value("count", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &count);
    watchdog(10);
    events_disable();
    HYPERVISOR_update_va_mapping((u64)scratch_ro, (virt_to_mfn(scratch_ro) << PAGE_SHIFT) | PTE_P | PTE_A,
                                 UVMF_INVLPG);
    printf("robust_bad: %lu random hypercalls\n", count);
    unsigned ok = 0, err = 0;
    for (u64 i = 0; i < count; i++) {
        for (unsigned j = 0; j < sizeof(scratch); j += 8)
            if (rnd() % 8 == 0)
                *(u64 *)(scratch + j) = arg_value();
        u64 nr = rnd() % 70;
        if (skipped(nr))
            continue;
        u64 a1 = rnd() % 4 ? rnd() % 40 : arg_value();     /* mostly a plausible sub-op */
        if (nr == __HYPERVISOR_update_va_mapping && rnd() % 2)
            a1 = (u64)victim;
        u64 a2 = arg_value(), a3 = arg_value(), a4 = arg_value(), a5 = arg_value();
        if (nr == __HYPERVISOR_vcpu_op && a1 == VCPUOP_down)
            a1 = VCPUOP_is_up;
        if (nr == __HYPERVISOR_vcpu_op && a1 == VCPUOP_initialise)
            a1 = VCPUOP_is_up;
        /* Keep our own memory: no giving pages back, no remapping the
         * scratch pages we write (only the victim page). */
        if (nr == __HYPERVISOR_memory_op && (a1 == XENMEM_decrease_reservation || a1 == XENMEM_exchange))
            a1 = XENMEM_maximum_ram_page;
        if (nr == __HYPERVISOR_update_va_mapping || nr == __HYPERVISOR_update_va_mapping_otherdomain)
            if (a1 >= (u64)scratch && a1 < (u64)scratch + sizeof(scratch))
                a1 = (u64)victim;
        long rc = HYPERCALL_RAW(nr, a1, a2, a3, a4, a5);
        if (rc < 0)
            err++;
        else
            ok++;
        events_disable();
        if ((i & 8191) == 8191)
            printf("robust_bad: %lu hypercalls, %u accepted, %u refused\n", i + 1, ok, err);
    }
    printf("robust_bad: still alive after %lu hypercalls (%u accepted, %u refused): crashing on purpose\n",
           count, ok, err);
    platform_exit(false);
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("PV only");
        return;
    }
    char mode[24] = "stack_rsp", buf[24];
    cmdline_value("mode", mode, sizeof(mode));
    u64 seed = 1;
    if (cmdline_value("seed", buf, sizeof(buf)))
        parse_u64(buf, strlen(buf), &seed);
    rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    printf("robust_bad: mode %s, seed %lu\n", mode, seed);

    if (!strcmp(mode, "stack_rsp"))
        with_rsp(0x4141414141414141ULL);
    if (!strcmp(mode, "stack_null"))
        with_rsp(0x800);
    if (!strcmp(mode, "stack_ro"))
        with_rsp(start_info->pt_base + 200 * 8);       /* an empty L4 slot: ret pops 0 */
    if (!strcmp(mode, "stack_ro_data")) {
        u64 *pg = alloc_page();
        HYPERVISOR_update_va_mapping((u64)pg, (virt_to_mfn(pg) << PAGE_SHIFT) | PTE_P | PTE_A, UVMF_INVLPG);
        with_rsp((u64)pg + 2048);
    }
    if (!strcmp(mode, "stack_xen"))
        with_rsp(0xffff830000100000ULL);
    if (!strcmp(mode, "stack")) {
        printf("robust_bad: smashing the stack\n");
        smash();
        return;
    }
    if (!strcmp(mode, "trap_loop")) {
        pv_set_trap(14, 0, (void *)0xdead000);
        pv_set_trap(13, 0, (void *)0xdead000);
        printf("robust_bad: #PF and #GP handlers at an unmapped address, then a fault\n");
        __asm__ volatile("mov (%0), %%rax" :: "r"(0x10UL) : "rax", "memory");
        for (;;)
            ;
    }
    if (!strcmp(mode, "garbage"))
        run_garbage();
    if (!strcmp(mode, "spin")) {
        watchdog(2);
        events_disable();
        printf("robust_bad: spinning forever\n");
        for (;;)
            cpu_relax();
    }
    if (!strcmp(mode, "hcall_fuzz"))
        hcall_fuzz();
    test_error("unknown mode %s", mode);
}
