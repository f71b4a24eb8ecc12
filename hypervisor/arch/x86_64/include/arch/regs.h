/*
 * regs.h - the register frame saved on every entry to the hypervisor.
 *
 * Entry code (entry.S) pushes the general registers below the hardware's
 * interrupt frame, so the struct reads from low to high addresses in the
 * reverse of push order.  For an entry from a guest (ring 3) the frame is
 * cpu_info.guest_regs at the top of the CPU's stack: TSS.rsp0 and the
 * syscall stubs point just past it.
 */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

#include "types.h"

struct cpu_regs {
    u64 r15, r14, r13, r12, rbp, rbx;
    u64 r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
    u32 error_code;
    u32 entry_vector;
    /* hardware interrupt frame */
    u64 rip, cs, rflags, rsp, ss;
};

#define ENTRY_SYSCALL   0x100       /* entry_vector of a syscall entry */

#define X86_EFLAGS_CF   0x00000001
#define X86_EFLAGS_TF   0x00000100
#define X86_EFLAGS_IF   0x00000200
#define X86_EFLAGS_DF   0x00000400
#define X86_EFLAGS_IOPL 0x00003000
#define X86_EFLAGS_NT   0x00004000
#define X86_EFLAGS_RF   0x00010000
#define X86_EFLAGS_VM   0x00020000
#define X86_EFLAGS_AC   0x00040000
#define X86_EFLAGS_ID   0x00200000

#endif
