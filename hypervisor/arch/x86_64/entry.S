/*
 * entry.S - interrupt and exception entry.
 *
 * Each vector has a stub that makes the frame uniform (a zero error code
 * where the CPU pushes none, the vector number in the upper half of that
 * slot), then common_entry saves the general registers as struct
 * cpu_regs (arch/regs.h) and calls do_entry(regs).  From ring 3 the
 * CPU has already switched to TSS.rsp0, so the frame is
 * cpu_info.guest_regs; from ring 0 it is wherever the hypervisor was.
 * NMI, double fault and machine check run on IST stacks (gdt.c).
 */
#include "layout.h"
#include "arch/asm-offsets.h"

/* Vectors where the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

#include "arch/entry-macros.h"

        .text
        .balign 16
common_entry:
        SAVE_ALL
        cld
        mov     %rsp, %rdi
        sub     $8, %rsp                /* frame is 8 mod 16: align for the call */
        call    do_entry
        add     $8, %rsp
        /* Back to a guest through the exit path, unless this is an IST frame
         * (NMI, #DF, #MC: their frame is not cpu_info.guest_regs). */
        testb   $3, REGS_cs(%rsp)
        jz      1f
        movl    REGS_entry_vector(%rsp), %eax
        cmp     $2, %eax
        je      1f
        cmp     $8, %eax
        je      1f
        cmp     $18, %eax
        je      1f
        jmp     return_to_guest
1:
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
