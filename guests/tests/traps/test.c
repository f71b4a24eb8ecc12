/*
 * traps - exceptions bounced to the guest with the right frame.
 *
 * PV: Xen's 64-bit bounce frame through the trap table (rcx, r11, [error
 * code], rip, cs, rflags, rsp, ss; CS with RPL 0 for kernel mode and the
 * saved upcall mask in bits 32-39, RFLAGS.IF = !mask; CR2 in vcpu_info).
 * Native: the CPU's frame through the IDT.  Both: the saved rip is the
 * faulting instruction (after it for int3), the error code and CR2 are the
 * architectural ones, the saved rsp is the interrupted one, the event/IF
 * state is reported and restored by the return, a fault inside a handler
 * nests.  PV only: `int n` without a DPL-3 trap-table entry is #GP with the
 * IDT bit set in the error code.
 */
#include "guest.h"

const char test_title[] = "traps: exception frames through the trap table / IDT";

static struct regs captured;
static int captures;
static struct fault nested;

static bool capture_ud(struct regs *r)
{
    captured = *r;
    captures++;
    r->rip += 2;                /* ud2 */
    return true;
}

static bool capture_ud_nesting(struct regs *r)
{
    captured = *r;
    captures++;
    nested = PROBE("int3");
    r->rip += 2;
    return true;
}

/* ud2 at a known rip and rsp; the hook records the frame. */
static void raise_ud(u64 *rip, u64 *rsp)
{
    __asm__ volatile("lea 1f(%%rip), %0\n mov %%rsp, %1\n1: ud2" : "=&r"(*rip), "=&r"(*rsp) :: "memory");
}

static void frame_checks(const char *prefix, bool events_on)
{
    char name[64];
    u64 rip, rsp;
    captures = 0;
    trap_set_hook(6, capture_ud);
    raise_ud(&rip, &rsp);
    trap_set_hook(6, NULL);

    snprintf(name, sizeof(name), "%s.delivered_once", prefix);
    check(captures == 1 && captured.vector == 6, name, "%d deliveries, vector %lu",
          captures, captured.vector);
    snprintf(name, sizeof(name), "%s.saved_rip", prefix);
    check(captured.rip == rip, name, "saved rip %#lx, ud2 at %#lx", captured.rip, rip);
    snprintf(name, sizeof(name), "%s.saved_rsp", prefix);
    check(captured.rsp == rsp, name, "saved rsp %#lx, rsp at the fault %#lx", captured.rsp, rsp);
    u64 want_cs = platform_is_pv ? (FLAT_KERNEL_CS & ~3ULL) : 0x08;
    snprintf(name, sizeof(name), "%s.saved_cs", prefix);
    check((captured.cs & 0xffff) == want_cs, name, "saved cs %#lx, expected %#lx (kernel mode)",
          captured.cs & 0xffff, want_cs);
    bool if_set = captured.rflags & X86_EFLAGS_IF;
    snprintf(name, sizeof(name), "%s.saved_if", prefix);
    check(if_set == events_on, name, "saved rflags %#lx: IF %d, events %s", captured.rflags,
          if_set, events_on ? "on" : "off");
    if (platform_is_pv) {
        unsigned mask = (captured.cs >> 32) & 0xff;
        snprintf(name, sizeof(name), "%s.saved_upcall_mask", prefix);
        check(mask == !events_on, name, "saved upcall mask %u in CS bits 32-39", mask);
    } else {
        snprintf(name, sizeof(name), "%s.saved_upcall_mask", prefix);
        check(true, name, "no upcall mask natively (IF checked above)");
    }
    bool still_on = platform_is_pv ? !vcpu0()->evtchn_upcall_mask : ({
        u64 fl; __asm__ volatile("pushfq; pop %0" : "=r"(fl)); !!(fl & X86_EFLAGS_IF); });
    snprintf(name, sizeof(name), "%s.state_restored", prefix);
    check(still_on == events_on, name, "events %s after the return", still_on ? "on" : "off");
}

static u8 ro_page[4096] __aligned(4096);

void test_main(void)
{
    frame_checks("ud2", false);

    struct fault f = PROBE("int3");
    check(f.vector == 3, "int3.vector", "vector %d (%s)", f.vector, vector_name(f.vector));
    /* int3 is a trap: the saved rip is the instruction after it. */
    u64 rip_after;
    last_fault.vector = -1;
    __asm__ volatile("int3\n1:\n lea 1b(%%rip), %0\n" EXTABLE_ENTRY("1b", "1b")
                     : "=r"(rip_after) :: "memory");
    check(last_fault.vector == 3 && last_fault.rip == rip_after, "int3.saved_rip_after",
          "saved rip %#lx, instruction after int3 at %#lx", last_fault.rip, rip_after);

    u64 rax = 7, rdx = 0, zero = 0, div_at;
    last_fault.vector = -1;
    __asm__ volatile("lea 1f(%%rip), %0\n1: divq %3\n2:\n" EXTABLE_ENTRY("1b", "2b")
                     : "=&r"(div_at), "+a"(rax), "+d"(rdx) : "r"(zero) : "memory");
    check(last_fault.vector == 0 && last_fault.rip == div_at, "divide.vector_and_rip",
          "vector %d at %#lx, div at %#lx", last_fault.vector, last_fault.rip, div_at);

    /* #PF: not present (page 0), write; error code 2, CR2 the address. */
    u64 addr = 0x808;
    f = PROBE("movq $1, (%0)", :: "r"(addr) : "memory");
    check(f.vector == 14 && f.error_code == 2 && f.cr2 == addr, "pf.not_present_write",
          "vector %d error code %#x cr2 %#lx", f.vector, f.error_code, f.cr2);
    /* #PF: present, read-only, write; error code 3. */
    volatile u8 *ro = ro_page;
    ro[0] = 0x11;
    long rc = map_page(ro_page, virt_to_mfn(ro_page), PTE_A);
    f = PROBE("movb $2, (%0)", :: "r"(ro) : "memory");
    check(rc == 0 && f.vector == 14 && f.error_code == 3 && f.cr2 == (u64)ro, "pf.read_only_write",
          "remap rc %ld; vector %d error code %#x cr2 %#lx", rc, f.vector, f.error_code, f.cr2);
    check(ro[0] == 0x11, "pf.read_only_unchanged", "byte %#x", ro[0]);
    map_page(ro_page, virt_to_mfn(ro_page), PTE_A | PTE_D | PTE_W);
    ro[0] = 0x22;
    check(ro[0] == 0x22, "pf.writable_again", "byte %#x", ro[0]);

    /* A fault inside a handler nests and both return. */
    captures = 0;
    nested.vector = -1;
    trap_set_hook(6, capture_ud_nesting);
    u64 rip, rsp;
    raise_ud(&rip, &rsp);
    trap_set_hook(6, NULL);
    check(captures == 1 && nested.vector == 3, "nested.fault_in_handler",
          "outer #UD delivered %d times, inner fault vector %d", captures, nested.vector);

    /* With events (interrupts) on, the frame says so and the return keeps it. */
    events_enable();
    frame_checks("ud2_events_on", true);
    events_disable();

    if (platform_is_pv) {
        /* No DPL-3 trap-table entry: `int n` is #GP with the IDT bit (error
         * code bits 0-1 = 2).  The selector part differs under QEMU TCG
         * (n*16+2 instead of n*8+2), so only the low bits are checked. */
        f = PROBE("int $0x41");
        check(f.vector == 13 && (f.error_code & 3) == 2, "int_n.no_entry_gp",
              "vector %d error code %#x", f.vector, f.error_code);
        f = PROBE("int $0x0d");
        check(f.vector == 13 && (f.error_code & 3) == 2, "int_n.dpl0_entry_gp",
              "vector %d error code %#x", f.vector, f.error_code);
        f = PROBE("int $3");
        check(f.vector == 3, "int_n.dpl3_entry_delivered", "vector %d", f.vector);
    }
}
