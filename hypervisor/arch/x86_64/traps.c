/*
 * traps.c - what happens on every interrupt and exception (do_entry).
 *
 *  - vectors >= 32 are interrupts: the handler registered for the vector
 *    runs, then the local APIC gets its EOI;
 *  - an exception in the hypervisor (ring 0) continues at its fixup when the
 *    faulting instruction has one (guest memory access), otherwise it is a
 *    hypervisor bug: crash_report() prints the vector, error code,
 *    registers, control registers, the CPU and a symbolized backtrace, stops
 *    every other CPU and leaves QEMU with HV_EXIT_PANIC;
 *  - an exception from a guest (ring 3) goes to the guest's trap table
 *    (PV guests issue).
 */
#include "arch/traps.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/extable.h"
#include "arch/pv.h"
#include "arch/apic.h"
#include "percpu.h"
#include "domain.h"
#include "console.h"
#include "panic.h"
#include "symbols.h"
#include "lib.h"

static irq_handler_t irq_handlers[256];
static volatile int crashing;

static const char *const vector_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
    "#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
    "#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
    "#VE virtualization", "#CP control protection", "reserved", "reserved",
    "reserved", "reserved", "reserved", "reserved", "#HV", "#VC", "#SX", "reserved",
};

struct extable_entry { u64 insn, fixup; };
extern const struct extable_entry __ex_table_start[], __ex_table_end[];

bool extable_fixup(struct cpu_regs *regs)
{
    for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->insn == regs->rip) {
            regs->rip = e->fixup;
            return true;
        }
    }
    return false;
}

void set_irq_handler(unsigned int vector, irq_handler_t h)
{
    irq_handlers[vector & 255] = h;
}

static void print_symbol(const char *label, u64 addr)
{
    u64 off;
    const char *name = symbol_lookup(addr, &off);
    if (name)
        printk("%s%016llx <%s+%#llx>\n", label, (unsigned long long)addr, name,
               (unsigned long long)off);
    else
        printk("%s%016llx\n", label, (unsigned long long)addr);
}

void show_backtrace(u64 rip, u64 fp)
{
    printk("Backtrace:\n");
    print_symbol("  ", rip);
    /* Follow the frame-pointer chain while it stays inside this CPU's stack block. */
    u64 base = ((u64)get_cpu_info() & ~(u64)(STACK_SIZE - 1));
    for (int depth = 0; depth < 32; depth++) {
        if (fp < base || fp + 16 > base + STACK_SIZE || (fp & 7))
            break;
        u64 ret = ((u64 *)fp)[1];
        u64 next = ((u64 *)fp)[0];
        if (!ret)
            break;
        if (depth > 0 || ret != rip)
            print_symbol("  ", ret);
        if (next <= fp)
            break;
        fp = next;
    }
}

static void __noreturn halt_forever(void)
{
    for (;;) {
        local_irq_disable();
        halt();
    }
}

/* Become the one CPU that reports; every other one stops. */
static void enter_crash(void)
{
    local_irq_disable();
    if (__atomic_exchange_n(&crashing, 1, __ATOMIC_SEQ_CST))
        halt_forever();
    apic_stop_other_cpus();
    console_force_unlock();
}

void crash_report(const struct cpu_regs *r, const char *why)
{
    enter_crash();
    unsigned int vec = r->entry_vector;
    struct percpu *p = this_cpu();

    printk("\n*** TERN HYPERVISOR CRASH: %s ***\n", why);
    printk("CPU %u (APIC ID %u), context: hypervisor\n", p ? p->id : 0, p ? p->arch.apic_id : 0);
    printk("vector %u (%s), error code %#x\n", vec, vec < 32 ? vector_names[vec] : "interrupt",
           r->error_code);
    print_symbol("RIP: ", r->rip);
    printk("RSP: %016llx  RFLAGS: %016llx  CS: %04llx  SS: %04llx\n",
           (unsigned long long)r->rsp, (unsigned long long)r->rflags,
           (unsigned long long)r->cs, (unsigned long long)r->ss);
    printk("RAX: %016llx  RBX: %016llx  RCX: %016llx\n", (unsigned long long)r->rax,
           (unsigned long long)r->rbx, (unsigned long long)r->rcx);
    printk("RDX: %016llx  RSI: %016llx  RDI: %016llx\n", (unsigned long long)r->rdx,
           (unsigned long long)r->rsi, (unsigned long long)r->rdi);
    printk("RBP: %016llx  R8:  %016llx  R9:  %016llx\n", (unsigned long long)r->rbp,
           (unsigned long long)r->r8, (unsigned long long)r->r9);
    printk("R10: %016llx  R11: %016llx  R12: %016llx\n", (unsigned long long)r->r10,
           (unsigned long long)r->r11, (unsigned long long)r->r12);
    printk("R13: %016llx  R14: %016llx  R15: %016llx\n", (unsigned long long)r->r13,
           (unsigned long long)r->r14, (unsigned long long)r->r15);
    printk("CR0: %016llx  CR2: %016llx  CR3: %016llx  CR4: %016llx\n",
           (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
           (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
    show_backtrace(r->rip, r->rbp);
    machine_exit(HV_EXIT_PANIC);
}

void panic(const char *fmt, ...)
{
    enter_crash();
    struct percpu *p = this_cpu();
    printk("\n*** TERN HYPERVISOR PANIC on CPU %u: ", p ? p->id : 0);
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk(" ***\n");
    show_backtrace((u64)__builtin_return_address(0), (u64)__builtin_frame_address(0));
    machine_exit(HV_EXIT_PANIC);
}

void fatal_input(const char *fmt, ...)
{
    local_irq_disable();
    printk("\nTern: cannot continue: ");
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
    machine_exit(HV_EXIT_BAD_INPUT);
}

void machine_exit(enum hv_exit status)
{
    local_irq_disable();
    apic_stop_other_cpus();
    printk("Tern: leaving with status %d\n", (int)status);
    /* QEMU's isa-debug-exit (iobase 0xf4) exits with (status << 1) | 1. */
    outl(0xf4, (u32)status);
    printk("Tern: halted (no isa-debug-exit device)\n");
    halt_forever();
}

static void nmi_handler(struct cpu_regs *regs)
{
    (void)regs;
    if (crashing || apic_stopping())
        halt_forever();
    printk("NMI on CPU %u ignored\n", this_cpu()->id);
}

void do_entry(struct cpu_regs *regs)
{
    unsigned int vec = regs->entry_vector;

    if (vec == VEC_NMI) {
        nmi_handler(regs);
        return;
    }
    if (vec >= 32) {
        if (regs->cs & 3)
            current->stats.interrupts++;
        irq_handler_t h = irq_handlers[vec];
        if (h)
            h(regs);
        if (vec != VEC_SPURIOUS)
            apic_eoi();
        return;
    }
    if ((regs->cs & 3) == 0) {
        if (vec == VEC_PF && pv_ldt_fault(regs, read_cr2()))
            return;                     /* loading a guest's LDT selector */
        if (extable_fixup(regs))
            return;
        crash_report(regs, vec == VEC_DF ? "double fault" : "exception in the hypervisor");
    }
    guest_exception(regs);
}

void __attribute__((weak)) guest_exception(struct cpu_regs *regs)
{
    crash_report(regs, "exception from ring 3 with no guest running");
}
