/*
 * entry.S - interrupt and exception entry.
 *
 * Each vector has a stub that makes the frame uniform (a zero error code
 * where the CPU pushes none, the vector number in the upper half of that
 * slot), then common_entry saves the general registers as struct
 * cpu_user_regs (arch/regs.h) and calls do_entry(regs).  From ring 3 the
 * CPU has already switched to TSS.rsp0, so the frame is
 * cpu_info.guest_regs; from ring 0 it is wherever the hypervisor was.
 * NMI, double fault and machine check run on IST stacks (gdt.c).
 */
#include "layout.h"
#include "arch/asm-offsets.h"

/* Vectors where the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

        .macro SAVE_ALL
        push    %rdi
        push    %rsi
        push    %rdx
        push    %rcx
        push    %rax
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        .endm

        .macro RESTORE_ALL
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rax
        pop     %rcx
        pop     %rdx
        pop     %rsi
        pop     %rdi
        .endm

        .text
        .balign 16
common_entry:
        SAVE_ALL
        cld
        mov     %rsp, %rdi
        sub     $8, %rsp                /* frame is 8 mod 16: align for the call */
        call    do_entry
        add     $8, %rsp
        .globl  return_from_entry
return_from_entry:
        RESTORE_ALL
        add     $8, %rsp                /* error code + vector */
        iretq

/* Stubs, 16 bytes apart so that idt_init() can compute their addresses. */
        .balign 16
        .globl  entry_stubs
entry_stubs:
        .set    vec, 0
        .rept   256
        .balign 16
        .if     HAS_ERR(vec) == 0
        push    $0
        .endif
        movl    $vec, 4(%rsp)
        jmp     common_entry
        .set    vec, vec + 1
        .endr
