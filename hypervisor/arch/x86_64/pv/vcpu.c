/*
 * pv/vcpu.c - a PV vCPU's guest context: VCPUOP_initialise (a full
 * vcpu_guest_context, for bringing up secondary vCPUs) and what a vCPU gives
 * back when its domain dies.
 */
#include "arch/pv.h"
#include "arch/desc.h"
#include "domain.h"
#include "guest_access.h"
#include "heap.h"
#include "lib.h"
#include "mm.h"

int pv_set_gdt(struct vcpu *v, const u64 *frames, unsigned int entries);
void pv_destroy_gdt(struct vcpu *v);

void pv_vcpu_destroy(struct vcpu *v)
{
    if (v->arch.guest_table_user) {
        put_page_and_type(mfn_to_page(_mfn(v->arch.guest_table_user)));
        v->arch.guest_table_user = 0;
    }
    if (v->arch.guest_table) {
        put_page_and_type(mfn_to_page(_mfn(v->arch.guest_table)));
        v->arch.guest_table = 0;
    }
    pv_destroy_gdt(v);
    if (v->vcpu_info_mfn) {
        struct page_info *pg = mfn_to_page(_mfn(v->vcpu_info_mfn));
        v->vcpu_info_mfn = 0;
        v->vcpu_info = NULL;            /* in a frame the domain no longer has */
        put_page_and_type(pg);
    }
    pv_fpu_forget(v);
}

long pv_vcpu_initialise(struct vcpu *v, u64 arg)
{
    struct domain *d = v->domain;
    struct vcpu_guest_context *c = xzalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    long rc = -EFAULT;
    if (copy_from_guest(c, arg, sizeof(*c)))
        goto out;
    rc = -EEXIST;
    if (v->is_initialised)
        goto out;
    rc = -EINVAL;
    for (unsigned int i = 0; i < NR_TRAPS; i++)
        if (!is_canonical(c->trap_ctxt[i].address))
            goto out;
    if (!is_canonical(c->event_callback_eip) || !is_canonical(c->failsafe_callback_eip) ||
        !is_canonical(c->syscall_callback_eip) || !is_canonical(c->user_regs.rip) ||
        !is_canonical(c->fs_base) || !is_canonical(c->gs_base_kernel) ||
        !is_canonical(c->gs_base_user) || c->gdt_ents > FIRST_RESERVED_GDT_PAGE * 512)
        goto out;
    if (!(c->flags & VGCF_in_kernel) && !c->ctrlreg[1])
        goto out;
    if (c->ldt_ents && ((c->ldt_base & (PAGE_SIZE - 1)) || c->ldt_ents > 8192 ||
                        (c->ldt_base >= (1ull << 47) && c->ldt_base < HYPERVISOR_VIRT_END)))
        goto out;

    u64 l4 = xen_cr3_to_pfn(c->ctrlreg[3]);
    u64 ul4 = c->ctrlreg[1] ? xen_cr3_to_pfn(c->ctrlreg[1]) : 0;
    spin_lock(&d->mm_lock);
    u64 gdt[NR_GUEST_GDT_FRAMES];
    for (unsigned int i = 0; i < NR_GUEST_GDT_FRAMES; i++)
        gdt[i] = c->gdt_frames[i];
    rc = pv_set_gdt(v, gdt, (unsigned int)c->gdt_ents);
    if (!rc && (!mfn_valid(_mfn(l4)) ||
                get_page_and_type(mfn_to_page(_mfn(l4)), d, PGT_l4_page_table)))
        rc = -EINVAL;
    if (!rc && ul4 && (!mfn_valid(_mfn(ul4)) ||
                       get_page_and_type(mfn_to_page(_mfn(ul4)), d, PGT_l4_page_table))) {
        put_page_and_type(mfn_to_page(_mfn(l4)));
        rc = -EINVAL;
    }
    if (rc) {
        pv_destroy_gdt(v);
        spin_unlock(&d->mm_lock);
        goto out;
    }
    spin_unlock(&d->mm_lock);

    struct arch_vcpu *a = &v->arch;
    a->guest_table = l4;
    a->guest_table_user = ul4;
    for (unsigned int i = 0; i < NR_TRAPS; i++) {
        a->traps[i] = c->trap_ctxt[i];
        if ((a->traps[i].cs & 3) < 3)
            a->traps[i].cs |= 3;
    }
    a->event_callback = c->event_callback_eip;
    a->failsafe_callback = c->failsafe_callback_eip;
    a->failsafe_cb_masks = c->flags & VGCF_failsafe_disables_events;
    a->syscall_callback = c->syscall_callback_eip;
    a->syscall_cb_masks = c->flags & VGCF_syscall_disables_events;
    a->kernel_ss = c->kernel_ss | 3;
    a->kernel_sp = c->kernel_sp;
    a->fs_base = c->fs_base;
    a->gs_base_kernel = c->gs_base_kernel;
    a->gs_base_user = c->gs_base_user;
    a->kernel_mode = c->flags & VGCF_in_kernel;
    a->ds = (u16)c->user_regs.ds;
    a->es = (u16)c->user_regs.es;
    a->fs = (u16)c->user_regs.fs;
    a->gs = (u16)c->user_regs.gs;
    a->guest_ts = c->ctrlreg[0] & 8;
    a->iopl = (u32)(c->user_regs.rflags & X86_EFLAGS_IOPL);     /* as Xen: the context's IOPL */
    a->ldt_base = c->ldt_ents ? c->ldt_base : 0;      /* its pages are taken on first use */
    a->ldt_ents = (unsigned int)c->ldt_ents;

    struct cpu_regs *r = &a->regs;
    memset(r, 0, sizeof(*r));
    r->rax = c->user_regs.rax; r->rbx = c->user_regs.rbx; r->rcx = c->user_regs.rcx;
    r->rdx = c->user_regs.rdx; r->rsi = c->user_regs.rsi; r->rdi = c->user_regs.rdi;
    r->rbp = c->user_regs.rbp; r->r8 = c->user_regs.r8; r->r9 = c->user_regs.r9;
    r->r10 = c->user_regs.r10; r->r11 = c->user_regs.r11; r->r12 = c->user_regs.r12;
    r->r13 = c->user_regs.r13; r->r14 = c->user_regs.r14; r->r15 = c->user_regs.r15;
    r->rip = c->user_regs.rip;
    r->rsp = c->user_regs.rsp;
    r->cs = c->user_regs.cs | 3;
    r->ss = c->user_regs.ss | 3;
    r->rflags = (c->user_regs.rflags & ~(u64)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
    v->is_initialised = true;
    rc = 0;
out:
    xfree(c);
    return rc;
}
