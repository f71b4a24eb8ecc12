/*
 * pv/traps.c - how the hypervisor enters a PV guest's own handlers.
 *
 * A bounce builds Xen's 64-bit exception frame on the guest kernel stack
 * (the current stack in guest kernel mode, kernel_sp from stack_switch when
 * coming from guest user mode, which also switches to the kernel page
 * tables):  { rcx, r11, [error code,] rip, cs | saved_upcall_mask << 32,
 * rflags (IF = !saved mask), rsp, ss }, 16-byte aligned, then continues at
 * the handler with FLAT_KERNEL_CS/SS.  A stack the guest cannot write, or a
 * missing handler, ends the domain (domain_crash), never the hypervisor.
 *
 * Also here: the syscall/hypercall entry (do_guest_syscall), every
 * exception taken in ring 3 (guest_exception) and the exit path's work
 * (exit_to_guest: softirqs, then pending events through the event callback).
 */
#include "arch/pv.h"
#include "arch/pv_mode.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/traps.h"
#include "domain.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "percpu.h"
#include "softirq.h"
#include "console.h"

bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, u64 eip, bool mask_events,
               bool has_ec, u32 ec)
{
    struct vcpu_info *vi = v->vcpu_info;
    u64 cs = regs->cs, sp;

    if (unlikely(!eip)) {
        domain_crash(v->domain, "bounce to a null handler");
        return false;
    }
    if (!v->arch.kernel_mode) {
        toggle_guest_mode(v);
        sp = v->arch.kernel_sp;
    } else {
        sp = regs->rsp;
        cs &= ~3ull;                        /* tells the guest: interrupted in kernel mode */
    }
    sp &= ~15ull;

    u8 saved_mask = vi->evtchn_upcall_mask;
    u64 rflags = (regs->rflags & ~(u64)(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                 (saved_mask ? 0 : X86_EFLAGS_IF);
    if (unlikely(v->domain->arch.vm_assist & (1u << VMASST_TYPE_architectural_iopl)))
        rflags |= v->arch.iopl;

    /* f[first..7] is the frame: with an error code it starts at f[0]. */
    u64 f[8];
    unsigned int first = has_ec ? 0 : 1;
    f[first] = regs->rcx;
    f[first + 1] = regs->r11;
    f[2] = has_ec ? ec : f[2];
    f[3] = regs->rip;
    f[4] = (cs & 0xffff) | ((u64)saved_mask << 32);
    f[5] = rflags;
    f[6] = regs->rsp;
    f[7] = regs->ss;
    u64 len = (8 - first) * 8;
    sp -= len;
    if (unlikely(copy_to_guest(sp, &f[first], len))) {
        domain_crash(v->domain, "cannot write an exception frame on the guest kernel stack at %#llx",
                     (unsigned long long)sp);
        return false;
    }
    if (mask_events)
        vi->evtchn_upcall_mask = 1;

    regs->entry_vector |= ENTRY_SYSRET_OK;
    regs->rflags = (regs->rflags & ~(u64)(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF |
                                          X86_EFLAGS_NT | X86_EFLAGS_TF)) | X86_EFLAGS_IF;
    regs->ss = FLAT_KERNEL_SS;
    regs->rsp = sp;
    regs->cs = FLAT_KERNEL_CS;
    regs->rip = eip;
    return true;
}

static const char *const exc_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error", "virtualization", "control protection",
};

void pv_inject_trap(struct cpu_regs *regs, unsigned int vec, bool has_ec, u32 ec)
{
    struct vcpu *v = current;
    const struct trap_info *ti = &v->arch.traps[vec & 0xff];
    if (!ti->address) {
        domain_crash(v->domain, "unhandled %s (vector %u, error code %#x) at %#llx in guest %s mode",
                     vec < 32 && exc_names[vec] ? exc_names[vec] : "trap", vec, ec,
                     (unsigned long long)regs->rip, v->arch.kernel_mode ? "kernel" : "user");
        return;
    }
    pv_bounce(v, regs, ti->address, ti->flags & 4, has_ec, ec);
}

void pv_inject_gp(struct cpu_regs *regs, u32 ec)
{
    pv_inject_trap(regs, VEC_GP, true, ec);
}

void pv_inject_page_fault(struct cpu_regs *regs, u64 cr2, u32 ec)
{
    struct vcpu *v = current;
    v->vcpu_info->arch.cr2 = cr2;
    /* Both halves of the guest run in ring 3: the user bit says which it was. */
    ec &= ~PFEC_user;
    if (!v->arch.kernel_mode)
        ec |= PFEC_user;
    pv_inject_trap(regs, VEC_PF, true, ec);
}

static bool vector_has_ec(unsigned int vec)
{
    return vec == VEC_DF || (vec >= VEC_TS && vec <= VEC_PF) || vec == VEC_AC;
}

/* `int n` through a gate the hardware refused (DPL 0): a software interrupt
 * the guest's trap table may allow.  The vector is read from the instruction:
 * QEMU reports a wrong vector in the #GP error code. */
static bool soft_interrupt(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    u8 insn[2];
    if (copy_from_guest(insn, regs->rip, 2) || insn[0] != 0xcd)
        return false;
    const struct trap_info *ti = &v->arch.traps[insn[1]];
    unsigned int dpl = ti->flags & 3;
    if (dpl < (v->arch.kernel_mode ? 1u : 3u))
        return false;
    regs->rip += 2;
    if (!ti->address) {
        domain_crash(v->domain, "int $%#x with no handler", insn[1]);
        return true;
    }
    pv_bounce(v, regs, ti->address, ti->flags & 4, false, 0);
    return true;
}

void guest_exception(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    unsigned int vec = regs->entry_vector & 0xff;
    v->stats.exceptions++;
    u64 cr2 = vec == VEC_PF ? read_cr2() : 0;  /* before anything can fault again */
    local_irq_enable();

    switch (vec) {
    case VEC_PF: {
        if (unlikely(cr2 >= HYPERVISOR_VIRT_START) && pv_ldt_fault(regs, cr2))
            return;
        if ((regs->error_code & (PFEC_write | PFEC_present)) == (PFEC_write | PFEC_present) &&
            v->arch.kernel_mode && pv_ptwr_fault(regs, cr2, regs->error_code))
            return;
        pv_inject_page_fault(regs, cr2, regs->error_code);
        return;
    }
    case VEC_GP:
        if ((regs->error_code & 3) == 2 && soft_interrupt(regs))
            return;
        if (regs->error_code == 0 && pv_emulate_privileged(regs))
            return;
        break;
    case VEC_UD:
        if (pv_emulate_forced_cpuid(regs))
            return;
        break;
    case VEC_NM:
        if (pv_fpu_fault(regs))
            return;
        break;
    case VEC_DB: {
        u64 dr6;
        __asm__ volatile("mov %%db6, %0" : "=r"(dr6));
        v->arch.debugreg[6] |= dr6;
        __asm__ volatile("mov %0, %%db6" :: "r"(0xffff0ff0ull));
        break;
    }
    }
    pv_inject_trap(regs, vec, vector_has_ec(vec), regs->error_code);
}

/* syscall from ring 3: a hypercall from guest kernel mode, a system call
 * to bounce to the guest kernel from guest user mode. */
void do_guest_syscall(struct cpu_regs *regs)
{
    struct vcpu *v = current;

    if (v->arch.kernel_mode) {
        v->stats.hypercalls++;
        do_hypercall(regs);
        return;
    }
    v->stats.syscall_bounces++;
    if (!v->arch.syscall_callback) {
        /* No callback: #UD at the syscall instruction, as on Xen. */
        regs->rip -= 2;
        regs->entry_vector = VEC_UD;
        pv_inject_trap(regs, VEC_UD, false, 0);
        return;
    }
    if (pv_bounce(v, regs, v->arch.syscall_callback, v->arch.syscall_cb_masks, false, 0))
        regs->rflags &= ~(u64)X86_EFLAGS_DF;
}

/* The exit path found work: run the softirqs (a switch to another vCPU does
 * not come back here), then deliver pending events through the event
 * callback.  return_to_guest looks again afterwards. */
void exit_to_guest(struct cpu_regs *regs)
{
    if (softirq_pending()) {
        softirq_run();
        return;
    }
    struct vcpu *v = current;
    struct vcpu_info *vi = v->vcpu_info;
    if (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask) {
        local_irq_enable();
        pv_bounce(v, regs, v->arch.event_callback, true, false, 0);
    }
}

/* SOFTIRQ_NMI, on the way back to a guest: an NMI sent to the vCPU that runs
 * here (VCPUOP_send_nmi) is delivered through trap 2 of its virtual IDT, and
 * no other until its handler returns with the iret hypercall.  Without a
 * handler it is dropped. */
void pv_deliver_nmi(void)
{
    struct vcpu *v = current;
    if (is_idle_vcpu(v) || !v->arch.nmi_pending || v->arch.nmi_masked)
        return;
    v->arch.nmi_pending = false;
    const struct trap_info *ti = &v->arch.traps[VEC_NMI];
    if (!ti->address)
        return;
    v->arch.nmi_masked = true;
    local_irq_enable();
    pv_bounce(v, guest_regs(), ti->address, false, false, 0);
}

/* iretq to the guest faulted: a selector of the guest's own making. */
void pv_iret_failed(struct cpu_regs *regs)
{
    /* Delivered as the #GP the guest's own iretq would have taken. */
    pv_inject_gp(regs, 0);
}
