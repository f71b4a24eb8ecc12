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
#define NR_HYPERCALLS 64

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
        sub     $8, %rsp
        movl    $0x100, 4(%rsp)                 /* entry_vector: ENTRY_SYSRET_OK */
        SAVE_ALL
        sti
        /* The fast path: a hypercall from guest kernel mode, straight from the
         * table (abi/hypercalls.list); arguments are still in rdi, rsi, rdx,
         * r10, r8, the number in rax. */
        mov     CPUINFO_curr_vcpu(%rsp), %rbx
        cmpb    $0, VCPU_kernel_mode(%rbx)
        je      .Lslow_syscall
        cmpb    $0, hypercall_trace(%rip)
        jne     .Lslow_syscall
        incq    VCPU_hypercalls(%rbx)
        cmp     $NR_HYPERCALLS, %rax
        jae     .Lenosys
        bt      %rax, hypercall_priv_mask(%rip)
        jc      .Lslow_syscall
        lea     hypercall_fns(%rip), %r11
        mov     (%r11, %rax, 8), %rax
        test    %rax, %rax
        jz      .Lenosys
        mov     %r10, %rcx
        call    *%rax
        mov     %rax, REGS_rax(%rsp)
        jmp     return_to_guest
.Lenosys:
        movq    $-38, REGS_rax(%rsp)            /* -ENOSYS, as Xen */
        jmp     return_to_guest
.Lslow_syscall:
        mov     %rsp, %rdi
        call    do_guest_syscall
        /* fall through */

        .globl  return_to_guest
return_to_guest:
        /* %rsp = &cpu_info.guest_regs.  Leave at once when there is nothing to
         * do (no softirq, no deliverable event); otherwise exit_to_guest does
         * it and we look again. */
        cli
        cmpq    $0, CPUINFO_softirq_pending(%rsp)
        jne     .Lexit_work
        mov     CPUINFO_curr_vcpu(%rsp), %rax
        mov     VCPU_vcpu_info(%rax), %rax
        movzwl  (%rax), %eax                    /* upcall_pending | upcall_mask << 8 */
        cmp     $1, %eax
        je      .Lexit_work                     /* pending and not masked */
        testb   $1, REGS_entry_vector + 1(%rsp) /* ENTRY_SYSRET_OK */
        jz      .Liret
        mov     REGS_rip(%rsp), %rcx
        mov     %rcx, %r11
        sar     $47, %r11
        inc     %r11
        cmp     $1, %r11                        /* canonical: rip >> 47 is 0 or -1 */
        ja      .Liret
        RESTORE_ALL
        mov     8(%rsp), %rcx                   /* rip */
        mov     24(%rsp), %r11                  /* rflags */
        mov     32(%rsp), %rsp                  /* guest %rsp; interrupts stay off */
        sysretq
.Lexit_work:
        mov     %rsp, %rdi
        call    exit_to_guest
        jmp     return_to_guest
.Liret:
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
