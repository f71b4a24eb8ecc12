/*
 * arch/percpu.h - what each physical CPU keeps for x86-64, and how the
 * running code finds it.
 *
 * Every CPU owns a STACK_SIZE-aligned block: the IST stacks (double fault,
 * NMI, machine check) in its low pages, the main stack above them and struct
 * cpu_info in the last bytes.  Any code running on any of these stacks finds
 * cpu_info by masking %rsp, so the hypervisor never uses %gs for itself and
 * the guest's segment bases stay in the MSRs while Tern runs.
 */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include "types.h"
#include "layout.h"
#include "arch/regs.h"

struct percpu;
struct vcpu;

struct cpu_info {
    struct cpu_regs guest_regs;    /* guest state on entry from ring 3 */
    struct percpu *pcpu;
    u64 syscall_scratch;                /* the syscall stub parks %rax here */
    struct vcpu *curr_vcpu;             /* "current" (domain.h) */
    unsigned long softirq_pending;      /* softirq.c; tested on every exit to a guest */
};

/* TSS.rsp0 (and the syscall stub's stack) = &guest_regs + 1 must be 16-byte aligned. */
_Static_assert(sizeof(struct cpu_info) % 16 == 8, "cpu_info alignment");

struct __packed tss64 {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};

struct arch_percpu {
    u32 apic_id;
    u32 acpi_id;
    void *stack_block;                  /* STACK_SIZE bytes, STACK_SIZE aligned */
    u64 *gdt;                           /* this CPU's reserved GDT page (entries 0xe000+) */
    struct tss64 tss __aligned(64);
    u64 lapic_ticks_per_ms;
};

static __always_inline struct cpu_info *get_cpu_info(void)
{
    u64 sp;
    __asm__("mov %%rsp, %0" : "=r"(sp));
    return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1 - sizeof(struct cpu_info));
}

static inline struct cpu_info *cpu_info_of_block(void *block)
{
    return (struct cpu_info *)((u8 *)block + STACK_SIZE - sizeof(struct cpu_info));
}

#define arch_this_cpu() (get_cpu_info()->pcpu)
/* cpu_info of another CPU (percpu.h's percpu_area must be set up). */
#define get_cpu_info_of(cpu) cpu_info_of_block(percpu_area[cpu]->arch.stack_block)

#endif
