/*
 * pv/entry.S - entering and leaving PV guests.
 *
 * syscall from ring 3 lands in the CPU's own stub (syscall_stubs, written by
 * pv_cpu_init): it parks %rax, switches to the top of the CPU's stack and
 * jumps to syscall_entry, which builds struct cpu_regs exactly where an
 * interrupt from ring 3 would have (cpu_info.guest_regs).  do_guest_syscall
 * decides between a hypercall (guest kernel mode) and a bounce to the
 * guest's syscall callback (guest user mode).
 *
 * return_to_guest runs every pending softirq and delivers pending events
 * (exit_to_guest), then leaves by sysretq when the frame allows it (the
 * ENTRY_SYSCALL flag: rcx/r11 are not live guest state) and by iretq
 * otherwise.  A faulting iretq (a bad selector from the guest) comes back
 * through iret_fault with the guest frame rebuilt.
 */
#include "layout.h"
#include "arch/asm-offsets.h"
#include "arch/entry-macros.h"
#include "arch/extable.h"

#define FLAT_USER_CS64  0xe033
#define FLAT_USER_SS    0xe02b

        .text
        .balign 16
        .globl  syscall_entry
syscall_entry:
        /* %rax = guest %rsp, %rsp = &cpu_info.guest_regs + 1, guest %rax parked. */
        push    $FLAT_USER_SS
        push    %rax
        push    %r11
        push    $FLAT_USER_CS64
        push    %rcx
        mov     (CPUINFO_scratch - CPUINFO_guest_regs - REGS_sizeof + 40)(%rsp), %rax
        push    $0
        movl    $0x100, 4(%rsp)                 /* ENTRY_SYSCALL */
        SAVE_ALL
        cld
        sti
        mov     %rsp, %rdi
        call    do_guest_syscall
        /* fall through */

        .globl  return_to_guest
return_to_guest:
        /* %rsp = &cpu_info.guest_regs, interrupts in any state. */
        mov     %rsp, %rdi
        call    exit_to_guest                   /* returns with interrupts off */
        test    %eax, %eax
        jz      1f
        mov     REGS_rip(%rsp), %rcx
        mov     REGS_rflags(%rsp), %r11
        mov     %rcx, REGS_rcx(%rsp)
        mov     %r11, REGS_r11(%rsp)
        RESTORE_ALL
        mov     32(%rsp), %rsp                  /* guest %rsp; interrupts stay off */
        sysretq
1:
        RESTORE_ALL
        add     $8, %rsp
        .globl  iret_to_guest
iret_to_guest:
        iretq
2:
        /* iretq faulted: the CPU popped nothing, rebuild the frame around it. */
        sub     $8, %rsp
        SAVE_ALL
        mov     %rsp, %rdi
        call    pv_iret_failed
        jmp     return_to_guest
        .pushsection .ex_table, "a"
        .balign 8
        .quad   iret_to_guest, 2b
        .popsection

/*
 * A CPU jumps here with %rsp anywhere after a context switch to a guest
 * vCPU: reset_stack_and_return_to_guest(stack_top_frame).
 */
        .globl  reset_stack_and_return_to_guest
reset_stack_and_return_to_guest:
        mov     %rdi, %rsp
        jmp     return_to_guest

        .globl  reset_stack_and_call
reset_stack_and_call:
        /* %rdi = new stack pointer, %rsi = function (does not return) */
        mov     %rdi, %rsp
        and     $-16, %rsp
        xor     %ebp, %ebp
        call    *%rsi
        ud2

/* The per-CPU syscall stubs (pv_cpu_init writes them through the direct map). */
        .balign 64
        .globl  syscall_stubs
syscall_stubs:
        .fill   NR_CPUS * 32, 1, 0xcc
