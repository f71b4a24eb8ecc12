/*
 * arch/pv.h - the x86-64 PV guest interface inside the hypervisor: entry and
 * exit, bounces into the guest, mode switches, emulation.
 */
#ifndef ARCH_PV_H
#define ARCH_PV_H

#include "types.h"
#include "arch/regs.h"
#include "arch/percpu.h"
#include "xen_abi.h"

struct vcpu;
struct domain;
struct page_info;

/* FLAT_KERNEL_CS/SS, FLAT_USER_CS/SS (0xe033, 0xe02b) come from xen_abi.h. */
/* entry_vector flags */
#define ENTRY_SYSRET_OK     0x100       /* rcx/r11 are not live guest state */

#define PFEC_present        (1u << 0)
#define PFEC_write          (1u << 1)
#define PFEC_user           (1u << 2)
#define PFEC_rsvd           (1u << 3)
#define PFEC_insn           (1u << 4)

static inline bool is_canonical(u64 va)
{
    return (u64)((s64)(va << 16) >> 16) == va;
}

static inline struct cpu_regs *guest_regs(void)
{
    return &get_cpu_info()->guest_regs;
}

void pv_cpu_init(unsigned int cpu);
/* Bounce to a guest handler; false if the domain was crashed instead. */
bool pv_bounce(struct vcpu *v, struct cpu_regs *regs, u64 eip, bool mask_events,
               bool has_ec, u32 ec);
/* Deliver hardware exception vec to the guest's trap table entry. */
void pv_inject_trap(struct cpu_regs *regs, unsigned int vec, bool has_ec, u32 ec);
void pv_inject_gp(struct cpu_regs *regs, u32 ec);
/* SOFTIRQ_NMI: deliver a pending virtual NMI to the vCPU running here. */
void pv_deliver_nmi(void);
void pv_inject_page_fault(struct cpu_regs *regs, u64 cr2, u32 ec);

u64 guest_cr3_mfn(const struct vcpu *v);
/* Load the vCPU's current page table into CR3 (mode switch, context switch). */
void pv_load_cr3(struct vcpu *v);

/* Emulation of privileged instructions and forced-emulation CPUID (emulate.c). */
bool pv_emulate_privileged(struct cpu_regs *regs);
bool pv_emulate_forced_cpuid(struct cpu_regs *regs);
void pv_cpuid(const struct vcpu *v, u32 leaf, u32 subleaf, u32 res[4]);
long pv_new_baseptr(struct vcpu *v, u64 mfn);
/* A write fault on one of the guest's own page-table pages (ptwr.c). */
bool pv_ptwr_fault(struct cpu_regs *regs, u64 addr, u32 ec);

/* FPU (context.c). */
bool pv_fpu_fault(struct cpu_regs *regs);
void pv_fpu_guest_ts(struct vcpu *v, bool set);

/* Descriptor validation (segments.c). */
bool pv_check_descriptor(u64 *desc);
int validate_seg_desc_page(struct page_info *pg);
void pv_load_gdt(struct vcpu *v);
/* The LDT (segments.c): this CPU's window and LDTR for v (NULL: none); a #PF
 * in the window (true: handled); MMUEXT_SET_LDT; dropping its pages. */
void pv_load_ldt(struct vcpu *v);
bool pv_ldt_fault(struct cpu_regs *regs, u64 cr2);
long pv_set_ldt(struct vcpu *v, u64 base, u32 ents);      /* d->mm_lock held */
void pv_destroy_ldt(struct vcpu *v);
/* The guest kernel's L1 entry for va, with its table page (mmu.c). */
u64 *guest_l1e(struct vcpu *v, u64 va, struct page_info **l1pg);

/* Context switch (context.c). */
void pv_context_switch(struct vcpu *prev, struct vcpu *next);
void pv_vcpu_initialise_state(struct vcpu *v);
void pv_write_cr4(struct vcpu *v, u64 val);

void reset_stack_and_return_to_guest(struct cpu_regs *frame) __noreturn;
void reset_stack_and_call(void *stack, void (*fn)(void)) __noreturn;

#endif
