/*
 * pv/callback.c - how a PV guest tells the hypervisor where its handlers and
 * stacks are, and how it returns from them: set_trap_table, set_callbacks,
 * callback_op, stack_switch, fpu_taskswitch, iret, set/get_debugreg,
 * physdev_op(set_iopl).  Addresses must be canonical (-EINVAL), as on Xen.
 */
#include "arch/pv.h"
#include "arch/pv_mode.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "domain.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "softirq.h"

long do_set_trap_table(u64 traps, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    if (!traps) {
        memset(v->arch.traps, 0, sizeof(v->arch.traps));
        return 0;
    }
    for (unsigned int n = 0;; n++) {
        struct trap_info t;
        if (copy_from_guest(&t, traps, sizeof(t)))
            return -EFAULT;
        if (t.address == 0)
            return 0;
        if (!is_canonical(t.address))
            return -EINVAL;
        if ((t.cs & 3) < 3)
            t.cs = (u16)((t.cs & ~3) | 3);
        v->arch.traps[t.vector] = t;
        traps += sizeof(t);
        if ((n & 63) == 63 && hypercall_preempt_check()) {
            u64 args[5] = { traps };
            return hypercall_create_continuation(__HYPERVISOR_set_trap_table, 1, args);
        }
    }
}

static long register_callback(const struct callback_register *r)
{
    struct vcpu *v = current;
    if (!is_canonical(r->address))
        return -EINVAL;
    bool mask = r->flags & CALLBACKF_mask_events;
    switch (r->type) {
    case CALLBACKTYPE_event:
        v->arch.event_callback = r->address;
        return 0;
    case CALLBACKTYPE_failsafe:
        v->arch.failsafe_callback = r->address;
        v->arch.failsafe_cb_masks = mask;
        return 0;
    case CALLBACKTYPE_syscall:
        v->arch.syscall_callback = r->address;
        v->arch.syscall_cb_masks = mask;
        return 0;
    case CALLBACKTYPE_nmi:
        /* As Xen: the NMI handler is trap 2 of the virtual IDT, events not masked. */
        v->arch.traps[VEC_NMI] = (struct trap_info){
            .vector = VEC_NMI, .flags = 0, .cs = FLAT_KERNEL_CS, .address = r->address };
        return 0;
    }
    return -ENOSYS;
}

long do_callback_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    switch ((int)cmd) {
    case CALLBACKOP_register: {
        struct callback_register r;
        if (copy_from_guest(&r, arg, sizeof(r)))
            return -EFAULT;
        return register_callback(&r);
    }
    case CALLBACKOP_unregister: {
        struct callback_unregister u;
        if (copy_from_guest(&u, arg, sizeof(u)))
            return -EFAULT;
        switch (u.type) {
        case CALLBACKTYPE_event:
        case CALLBACKTYPE_failsafe:
        case CALLBACKTYPE_syscall:
        case CALLBACKTYPE_syscall32:
        case CALLBACKTYPE_sysenter:
            return -EINVAL;
        case CALLBACKTYPE_nmi:
            memset(&current->arch.traps[VEC_NMI], 0, sizeof(struct trap_info));
            return 0;
        }
        return -ENOSYS;
    }
    }
    return -ENOSYS;
}

long do_set_callbacks(u64 event, u64 failsafe, u64 syscall, u64 a4, u64 a5)
{
    (void)a4; (void)a5;
    struct callback_register r[3] = {
        { .type = CALLBACKTYPE_event, .address = event },
        { .type = CALLBACKTYPE_failsafe, .address = failsafe },
        { .type = CALLBACKTYPE_syscall, .address = syscall },
    };
    for (unsigned int i = 0; i < 3; i++)
        register_callback(&r[i]);
    return 0;
}

long do_stack_switch(u64 ss, u64 sp, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    if ((ss & 3) < 3)
        ss = (ss & ~3ull) | 3;
    v->arch.kernel_ss = (u16)ss;
    v->arch.kernel_sp = sp;
    return 0;
}

long do_fpu_taskswitch(u64 set, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    pv_fpu_guest_ts(current, (int)set != 0);
    return 0;
}

/*
 * The guest returns from a bounce: on its stack { rax, r11, rcx, flags, rip,
 * cs, rflags, rsp, ss }.  cs with RPL 3 means guest user mode (and needs user
 * page tables); VGCF_in_syscall leaves rcx/r11 dead so sysret may be used.
 */
long do_iret(u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a1; (void)a2; (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    struct cpu_regs *regs = guest_regs();
    struct iret_context c;

    if (copy_from_guest(&c, regs->rsp, sizeof(c))) {
        domain_crash(v->domain, "iret: cannot read the iret context at %#llx",
                     (unsigned long long)regs->rsp);
        return 0;
    }
    if ((c.cs & 3) == 3) {
        if (!v->arch.guest_table_user) {
            domain_crash(v->domain, "iret to user mode with no user page tables");
            return 0;
        }
        toggle_guest_mode(v);
    }
    if (v->domain->arch.vm_assist & (1u << VMASST_TYPE_architectural_iopl))
        v->arch.iopl = (u32)(c.rflags & X86_EFLAGS_IOPL);
    regs->rip = c.rip;
    regs->cs = c.cs | 3;
    regs->rflags = (c.rflags & ~(u64)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    regs->rsp = c.rsp;
    regs->ss = c.ss | 3;
    /* sysret loads the flat selectors: usable only when those are wanted. */
    if ((c.flags & VGCF_in_syscall) && regs->cs == FLAT_USER_CS && regs->ss == FLAT_USER_SS) {
        regs->entry_vector |= ENTRY_SYSRET_OK;
    } else {
        regs->entry_vector &= ~(u32)ENTRY_SYSRET_OK;
        if (!(c.flags & VGCF_in_syscall)) {
            regs->r11 = c.r11;
            regs->rcx = c.rcx;
        }
    }
    v->vcpu_info->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);
    if (v->arch.nmi_masked) {
        v->arch.nmi_masked = false;     /* the NMI handler's iret: the next may come */
        if (v->arch.nmi_pending)
            softirq_raise(SOFTIRQ_NMI);
    }
    return (long)c.rax;
}

long do_set_debugreg(u64 reg, u64 value, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!is_canonical(value) || !guest_range_ok(value, 1))
            return -EPERM;
        break;
    case 6:
        value = (value & 0xffffefffull) | 0xffff0ff0ull;   /* reserved bits fixed */
        break;
    case 7:
        if (value >> 32)
            return -EPERM;
        value = (value & ~0xd800ull) | 0x400;               /* reserved bits fixed */
        break;
    default:
        return -EINVAL;
    }
    v->arch.debugreg[reg] = value;
    return 0;
}

long do_get_debugreg(u64 reg, u64 a2, u64 a3, u64 a4, u64 a5)
{
    (void)a2; (void)a3; (void)a4; (void)a5;
    if (reg > 7 || reg == 4 || reg == 5)
        return -EINVAL;
    return (long)current->arch.debugreg[reg];
}

long do_physdev_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    switch ((int)cmd) {
    case PHYSDEVOP_set_iopl: {
        struct physdev_set_iopl s;
        if (copy_from_guest(&s, arg, sizeof(s)))
            return -EFAULT;
        if (s.iopl > 3)
            return -EINVAL;
        current->arch.iopl = s.iopl << 12;
        return 0;
    }
    }
    return -ENOSYS;
}
