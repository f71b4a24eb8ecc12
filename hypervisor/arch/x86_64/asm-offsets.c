/*
 * asm-offsets.c - structure offsets for assembly, extracted at build time
 * (the Makefile turns the "->NAME value" markers into arch/asm-offsets.h).
 */
#include "percpu.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"\n" :: "i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, __builtin_offsetof(struct str, mem))

void asm_offsets(void);
void asm_offsets(void)
{
    DEFINE(CPUINFO_sizeof, sizeof(struct cpu_info));
    OFFSET(CPUINFO_guest_regs, cpu_info, guest_regs);
    OFFSET(CPUINFO_scratch, cpu_info, syscall_scratch);
    DEFINE(REGS_sizeof, sizeof(struct cpu_user_regs));
    OFFSET(REGS_error_code, cpu_user_regs, error_code);
    OFFSET(REGS_rip, cpu_user_regs, rip);
    OFFSET(REGS_rax, cpu_user_regs, rax);
}
