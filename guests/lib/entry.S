/*
 * entry.S - how exceptions, events and system calls enter the guest's C code,
 * and how they leave.
 *
 * Every entry builds the same struct regs (guest.h) on the stack and calls
 * trap_dispatch(regs).  Two kinds of frame arrive:
 *   PV      Xen's 64-bit bounce frame: rcx, r11, [error code], rip, cs,
 *           rflags, rsp, ss (CS bits 32-39 hold the saved upcall mask, RFLAGS.IF
 *           is its inverse).  The stubs pop rcx/r11 back into their registers and
 *           leave through HYPERVISOR_iret (hypercall page, iret slot), with
 *           VGCF_in_syscall when returning from the syscall callback.
 *   native  the CPU's IDT frame (rip, cs, rflags, rsp, ss, [error code]),
 *           left with iretq; `syscall` from user mode enters at
 *           native_syscall_entry on the kernel stack (no stack switch by the CPU).
 * user_enter/user_leave switch to user mode and back for user.c.
 */
#include <xen/xen.h>
#include "vectors.h"

#define HYPERCALL_IRET  (hypercall_page + __HYPERVISOR_iret * 32)

.macro save_regs
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
.endm

.macro restore_regs
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
.endm

        .text
/* ---- PV: trap-table entries and callbacks ---- */
.macro pv_stub vec, has_err
        .globl  pv_trap_\vec
pv_trap_\vec:
        pop     %rcx
        pop     %r11
.if !\has_err
        push    $0
.endif
        push    $\vec
        jmp     pv_common
.endm

        pv_stub 0, 0
        pv_stub 1, 0
        pv_stub 2, 0
        pv_stub 3, 0
        pv_stub 4, 0
        pv_stub 5, 0
        pv_stub 6, 0
        pv_stub 7, 0
        pv_stub 8, 1
        pv_stub 9, 0
        pv_stub 10, 1
        pv_stub 11, 1
        pv_stub 12, 1
        pv_stub 13, 1
        pv_stub 14, 1
        pv_stub 15, 0
        pv_stub 16, 0
        pv_stub 17, 1
        pv_stub 18, 0
        pv_stub 19, 0
        pv_stub 20, 0
        pv_stub 21, 1
        pv_stub 22, 0
        pv_stub 23, 0
        pv_stub 24, 0
        pv_stub 25, 0
        pv_stub 26, 0
        pv_stub 27, 0
        pv_stub 28, 0
        pv_stub 29, 1
        pv_stub 30, 1
        pv_stub 31, 0
        pv_stub VEC_EVENT, 0
        pv_stub VEC_SYSCALL, 0

        .section .rodata
        .globl  pv_trap_stubs
        .balign 8
pv_trap_stubs:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad   pv_trap_\n
        .endr
        .text

pv_common:
        save_regs
        mov     %rsp, %rdi
        call    trap_dispatch
        restore_regs
        cmpq    $VEC_SYSCALL, (%rsp)
        lea     16(%rsp), %rsp                  /* vector, error code */
        je      1f
        push    $0
        jmp     HYPERCALL_IRET
1:      push    $VGCF_in_syscall
        jmp     HYPERCALL_IRET

/* Failsafe callback: Xen could not load a segment register on return.
 * Frame: ds, es, fs, gs, rcx, r11, rip, cs, rflags, rsp, ss. */
        .globl  pv_failsafe
pv_failsafe:
        mov     %rsp, %rdi
        and     $~15, %rsp
        call    failsafe_dispatch
1:      jmp     1b

/* ---- native: IDT entries ---- */
.macro native_stub vec
        .balign 16
.if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
.else
        push    $0
.endif
        push    $\vec
        jmp     native_common
.endm

        .balign 16
        .globl  native_idt_stubs
native_idt_stubs:
        .set    v, 0
        .altmacro
        .rept   256
        native_stub %v
        .set    v, v + 1
        .endr
        .noaltmacro

native_common:
        save_regs
        mov     %rsp, %rdi
        call    trap_dispatch
        restore_regs
        add     $16, %rsp
        iretq

/* `syscall` from native user mode: switch to the kernel stack, build an
 * interrupt-style frame, dispatch as VEC_SYSCALL, return with iretq. */
        .globl  native_syscall_entry
native_syscall_entry:
        mov     %rsp, native_user_rsp(%rip)
        mov     native_kstack_top(%rip), %rsp
        push    $0x1b                           /* user SS */
        push    native_user_rsp(%rip)
        push    %r11                            /* user RFLAGS */
        push    $0x23                           /* user CS */
        push    %rcx                            /* user RIP */
        push    $0
        push    $VEC_SYSCALL
        jmp     native_common

/* ---- user mode ---- */
/*
 * u64 user_enter(struct user_frame *f): save the callee-saved registers and
 * the stack pointer in user_ctx, then "return" to user mode with the frame
 * f = {rip, cs, rflags, rsp, ss}.  user_leave(value) (called in kernel mode,
 * from a system call or a trap) restores user_ctx: user_enter returns value.
 */
        .globl  user_enter, user_leave
user_enter:
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rsp, user_ctx_rsp(%rip)
        push    32(%rdi)                        /* ss */
        push    24(%rdi)                        /* rsp */
        push    16(%rdi)                        /* rflags */
        push    8(%rdi)                         /* cs */
        push    0(%rdi)                         /* rip */
        cmpl    $0, platform_is_pv(%rip)
        je      1f
        xor     %eax, %eax
        xor     %ecx, %ecx
        xor     %r11d, %r11d
        push    $0
        jmp     HYPERCALL_IRET
1:      iretq

user_leave:
        mov     %rdi, %rax
        mov     user_ctx_rsp(%rip), %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        ret

        .bss
        .balign 8
user_ctx_rsp:           .quad 0
        .globl  native_user_rsp, native_kstack_top
native_user_rsp:        .quad 0
native_kstack_top:      .quad 0
