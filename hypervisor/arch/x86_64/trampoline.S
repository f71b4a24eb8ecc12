/*
 * trampoline.S - where an AP starts after INIT-SIPI-SIPI: real mode at
 * TRAMPOLINE_PHYS (smp.c copies this blob there).  It goes to protected
 * mode, then long mode on the boot page tables (their L4 is below 4 GiB),
 * and jumps to ap_entry64 at the hypervisor's linked address.  Addresses are
 * TRAMPOLINE_PHYS + offset, so the blob runs only where it was copied.
 */
#include "layout.h"

#define T(sym) (TRAMPOLINE_PHYS + (sym) - trampoline_start)

        .section .rodata, "a"
        .balign 16
        .globl  trampoline_start, trampoline_end, trampoline_cr3, trampoline_target
        .code16
trampoline_start:
        cli
        cld
        xor     %ax, %ax
        mov     %ax, %ds
        lgdtl   T(tgdt_ptr)
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $T(t32)

        .code32
t32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax                     /* PAE */
        mov     %eax, %cr4
        mov     T(trampoline_cr3), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax                    /* LME */
        or      T(trampoline_efer_nx), %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010000, %eax               /* PG | WP */
        mov     %eax, %cr0
        ljmp    $0x18, $T(t64)

        .code64
t64:
        mov     T(trampoline_target), %rax
        jmp     *%rax

        .balign 8
tgdt:
        .quad   0
        .quad   0x00cf9b000000ffff              /* 0x08: 32-bit code */
        .quad   0x00cf93000000ffff              /* 0x10: data */
        .quad   0x00af9b000000ffff              /* 0x18: 64-bit code */
tgdt_end:
tgdt_ptr:
        .short  tgdt_end - tgdt - 1
        .long   T(tgdt)
        .balign 8
trampoline_cr3:         .quad 0
trampoline_target:      .quad 0
        .globl  trampoline_efer_nx
trampoline_efer_nx:     .long 0
trampoline_end:
