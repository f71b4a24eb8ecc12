/*
 * asm-offsets.c - structure offsets for assembly, extracted at build time
 * (the Makefile turns the "->NAME value" markers into arch/asm-offsets.h).
 */
#include "percpu.h"
#include "domain.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"\n" :: "i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, __builtin_offsetof(struct str, mem))

void asm_offsets(void);
void asm_offsets(void)
{
    DEFINE(CPUINFO_sizeof, sizeof(struct cpu_info));
    OFFSET(CPUINFO_guest_regs, cpu_info, guest_regs);
    OFFSET(CPUINFO_scratch, cpu_info, syscall_scratch);
    OFFSET(CPUINFO_curr_vcpu, cpu_info, curr_vcpu);
    OFFSET(CPUINFO_softirq_pending, cpu_info, softirq_pending);
    OFFSET(VCPU_kernel_mode, vcpu, arch.kernel_mode);
    OFFSET(VCPU_vcpu_info, vcpu, vcpu_info);
    OFFSET(VCPU_hypercalls, vcpu, stats.hypercalls);
    DEFINE(REGS_sizeof, sizeof(struct cpu_regs));
    OFFSET(REGS_error_code, cpu_regs, error_code);
    OFFSET(REGS_entry_vector, cpu_regs, entry_vector);
    OFFSET(REGS_rip, cpu_regs, rip);
    OFFSET(REGS_cs, cpu_regs, cs);
    OFFSET(REGS_rflags, cpu_regs, rflags);
    OFFSET(REGS_rsp, cpu_regs, rsp);
    OFFSET(REGS_rax, cpu_regs, rax);
    OFFSET(REGS_rcx, cpu_regs, rcx);
    OFFSET(REGS_r11, cpu_regs, r11);
    OFFSET(REGS_rdi, cpu_regs, rdi);
    OFFSET(REGS_ss, cpu_regs, ss);
}
