/*
 * exception_roundtrip - an exception taken and returned from, in the guest
 * kernel (../shared/BENCHMARKS.md).
 *   exception_roundtrip       ud2 -> the #UD handler adds 2 to the saved rip
 *                             and returns (PV: HYPERVISOR_iret through the
 *                             hypercall page; native: iretq through the IDT)
 *   exception_roundtrip_int3  int3 through a DPL-3 trap-table entry (native:
 *                             a DPL-3 IDT gate), same return
 * The handlers are a few instructions of assembly and count their calls; the
 * warm-up checks one call per iteration.
 */
#include "guest.h"

const char test_title[] = "bench exception_roundtrip: ud2 and int3 round trips";

u64 bench_ud_count, bench_bp_count;

/* PV handlers: the bounce frame is rcx, r11, rip, cs, rflags, rsp, ss. */
__asm__(
    ".text\n"
    "pv_bench_ud:\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  addq $2, (%rsp)\n"
    "  incq bench_ud_count(%rip)\n"
    "  push $0\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n"
    "pv_bench_bp:\n"
    "  pop %rcx\n"
    "  pop %r11\n"
    "  incq bench_bp_count(%rip)\n"
    "  push $0\n"
    "  jmp hypercall_page + " HC_STR(__HYPERVISOR_iret) " * 32\n"
    "native_bench_ud:\n"
    "  addq $2, (%rsp)\n"
    "  incq bench_ud_count(%rip)\n"
    "  iretq\n"
    "native_bench_bp:\n"
    "  incq bench_bp_count(%rip)\n"
    "  iretq\n");
extern char pv_bench_ud[], pv_bench_bp[], native_bench_ud[], native_bench_bp[];
extern void *const pv_trap_stubs[32];
extern char native_idt_stubs[];

static u64 ud_timed(void)
{
    u64 dt;
    __asm__ volatile(TSC_START "ud2\n" TSC_STOP : "=a"(dt) :: "rdx", "r12", "memory");
    return dt;
}

static u64 bp_timed(void)
{
    u64 dt;
    __asm__ volatile(TSC_START "int3\n" TSC_STOP : "=a"(dt) :: "rdx", "r12", "memory");
    return dt;
}

static void install(unsigned vec, void *pv, void *native)
{
    if (platform_is_pv) {
        long rc = pv_set_trap(vec, vec == 3 ? 3 : 0, pv);
        if (rc)
            guest_panic("set_trap_table(%u): %ld", vec, rc);
    } else {
        native_set_gate(vec, vec == 3 ? 3 : 0, native);
    }
}

static void run(const char *name, u64 (*timed)(void), u64 *count, unsigned vec, void *pv,
                void *native, void *lib_pv, void *lib_native)
{
    u64 iters = bench_iters(2000, 1000000);
    char cname[64];
    install(vec, pv, native);
    u64 before = *count;
    for (int i = 0; i < 200; i++)
        timed();
    snprintf(cname, sizeof(cname), "warmup.%s_one_handler_call_each", name);
    CHECK_EQ(cname, *count - before, 200);

    struct bench b;
    bench_begin(&b, name);
    for (u64 i = 0; i < iters; i++)
        bench_add(&b, timed());
    bench_report(&b, "");
    install(vec, lib_pv, lib_native);       /* the library's handler again */
}

void test_main(void)
{
    run("exception_roundtrip", ud_timed, &bench_ud_count, 6, pv_bench_ud, native_bench_ud,
        pv_trap_stubs[6], native_idt_stubs + 16 * 6);
    run("exception_roundtrip_int3", bp_timed, &bench_bp_count, 3, pv_bench_bp, native_bench_bp,
        pv_trap_stubs[3], native_idt_stubs + 16 * 3);
}
