/*
 * user_mode - a program in the guest's user mode.
 *
 * PV: the user half of Xen's 64-bit model (a user L4 installed with
 * MMUEXT_NEW_USER_BASEPTR, entered by HYPERVISOR_iret with CS RPL 3).  Native:
 * ring 3.  Checks: `syscall` from user mode reaches the kernel's syscall
 * callback with the user's registers and CS RPL 3, its result comes back in
 * rax, the user's callee-saved registers survive; faults in user mode reach
 * the kernel's handlers with the user bit in the #PF error code; privileged
 * instructions (hlt, reading CR3) are #GP; `int $0x82` (the 32-bit hypercall
 * gate) faults and runs no hypercall.  PV only: calling the hypercall page from user mode is just a
 * `syscall` into the guest kernel: Xen does not run the hypercall.
 */
#include "guest.h"

const char test_title[] = "user_mode: syscalls, faults and privilege from user mode";

static u64 seen_nr, seen_arg, seen_cs;
static u64 ret1, ret2, r12_after;
static struct fault pf_user, hlt_user, cr3_user, int82_user, ud_user;
static u64 ud_cs, int82_rax;
static long hc_result;
static u64 hc_nr_at_callback, hc_calls;

static u64 on_syscall(struct regs *r)
{
    seen_nr = r->rax;
    seen_arg = r->rdi;
    seen_cs = r->cs;
    return r->rdi + 1;
}

static bool on_ud(struct regs *r)
{
    ud_cs = r->cs;
    ud_user.vector = 6;
    r->rip += 2;
    return true;
}

static void user_program(void)
{
    ret1 = user_syscall(42, 1000);
    register u64 r12 __asm__("r12") = 0x1212121212121212ULL;
    __asm__ volatile("syscall" : "=a"(ret2), "+r"(r12) : "a"(43), "D"(2000) : "rcx", "r11", "memory");
    r12_after = r12;

    u64 v = 0;
    pf_user = PROBE("mov (%1), %0", : "+r"(v) : "r"(0x20UL));
    hlt_user = PROBE("hlt");
    cr3_user = PROBE("mov %%cr3, %0", : "+r"(v));
    int82_rax = __HYPERVISOR_xen_version;
    int82_user = PROBE("int $0x82", : "+a"(int82_rax) : "D"(0), "S"(0));
    __asm__ volatile("ud2");
    user_exit(0xabc);
}

static void user_hypercall(void)
{
    u64 before = user_syscalls;
    hc_result = HYPERCALL(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    hc_calls = user_syscalls - before;
    user_exit(0);
}

static u64 on_hc_syscall(struct regs *r)
{
    hc_nr_at_callback = r->rax;
    return 0x5ca11;
}

void test_main(void)
{
    user_syscall_handler = on_syscall;
    trap_set_hook(6, on_ud);
    u64 before = user_syscalls;
    u64 rv = user_run(user_program);
    trap_set_hook(6, NULL);

    CHECK_EQ("user.exit_value", rv, 0xabc);
    CHECK_EQ("user.syscalls_reached_kernel", user_syscalls - before, 2);
    check(seen_nr == 43 && seen_arg == 2000, "user.syscall_registers",
          "last syscall: rax %lu rdi %lu", seen_nr, seen_arg);
    check((seen_cs & 3) == 3, "user.syscall_from_rpl3", "saved cs %#lx", seen_cs & 0xffff);
    check(ret1 == 1001 && ret2 == 2001, "user.syscall_results", "results %lu, %lu", ret1, ret2);
    CHECK_EQ("user.callee_saved_kept", r12_after, 0x1212121212121212ULL);
    check(pf_user.vector == 14 && pf_user.error_code == 4 && pf_user.cr2 == 0x20, "user.pf_user_bit",
          "vector %d error code %#x cr2 %#lx", pf_user.vector, pf_user.error_code, pf_user.cr2);
    check(hlt_user.vector == 13 && hlt_user.error_code == 0, "user.hlt_gp",
          "vector %d error code %#x", hlt_user.vector, hlt_user.error_code);
    check(cr3_user.vector == 13 && cr3_user.error_code == 0, "user.read_cr3_gp",
          "vector %d error code %#x", cr3_user.vector, cr3_user.error_code);
    /* Architecturally #GP (the gate is not for 64-bit guests).  Under QEMU
     * TCG the #GP error code is n*16+2 and Xen, which reads the vector out of
     * it, delivers vector (0x104 & 0xff) = 4 instead: either way a fault, and
     * no hypercall ran (rax unchanged). */
    check(int82_user.vector >= 0 && int82_rax == __HYPERVISOR_xen_version, "user.int82_not_hypercall",
          "fault vector %d (%s) error code %#x, rax %#lx", int82_user.vector,
          vector_name(int82_user.vector), int82_user.error_code, int82_rax);
    check(ud_user.vector == 6 && (ud_cs & 3) == 3, "user.ud_from_rpl3",
          "#UD delivered %d, saved cs %#lx", ud_user.vector == 6, ud_cs & 0xffff);

    /* Back in kernel mode: hypercalls work again. */
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    check(!platform_is_pv || v > 0, "user.kernel_mode_again", "xen_version %ld", v);

    if (platform_is_pv) {
        user_syscall_handler = on_hc_syscall;
        user_run(user_hypercall);
        check(hc_calls == 1 && hc_nr_at_callback == __HYPERVISOR_xen_version,
              "user.hypercall_page_reaches_guest_kernel",
              "%lu syscall callbacks, rax at the callback %lu", hc_calls, hc_nr_at_callback);
        CHECK_EQ("user.hypercall_page_not_executed", hc_result, 0x5ca11);
    }
}
