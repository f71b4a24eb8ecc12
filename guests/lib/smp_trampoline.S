/*
 * smp_trampoline.S - how a native secondary CPU gets from its STARTUP IPI
 * into the image (smp.c, native bring-up).
 *
 * smp_trampoline_start..end is copied to 0x8000 (STARTUP vector 0x08): the
 * CPU starts there in real mode with CS = 0x0800, IP = 0.  It loads a GDT of
 * its own (inside the copy), enters 32-bit protected mode, takes the boot
 * CPU's CR4 (PAE), head.S's page tables (native_pml4), EFER (LME) and CR0
 * (PG), and so arrives in long mode on a 64-bit code segment, still at the
 * copy's addresses (the first 2 MiB are mapped 1:1).  From there it jumps to
 * smp_native_ap_entry in the image, which loads the real GDT, reloads the
 * segments, takes the stack smp.c left in smp_ap_rsp and calls
 * smp_native_ap_main(smp_ap_cpu).
 */
#define TRAMP_BASE      0x8000
#define T(x)            (TRAMP_BASE + (x) - smp_trampoline_start)

        .text
        .code16
        .globl  smp_trampoline_start, smp_trampoline_end
smp_trampoline_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tramp_gdt_ptr - smp_trampoline_start
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $T(tramp32)

        .code32
tramp32:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     smp_ap_cr4, %eax
        mov     %eax, %cr4
        mov     $native_pml4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        mov     smp_ap_efer, %eax
        xor     %edx, %edx
        wrmsr
        mov     smp_ap_cr0, %eax
        mov     %eax, %cr0
        ljmp    $0x18, $T(tramp64)

        .code64
tramp64:
        movabs  $smp_native_ap_entry, %rax
        jmp     *%rax

        .balign 8
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff              /* 0x08 32-bit code */
        .quad   0x00cf92000000ffff              /* 0x10 data */
        .quad   0x00af9a000000ffff              /* 0x18 64-bit code */
tramp_gdt_ptr:
        .word   tramp_gdt_ptr - tramp_gdt - 1
        .long   T(tramp_gdt)
smp_trampoline_end:

/* In the image, in long mode on the trampoline's GDT. */
        .globl  smp_native_ap_entry
smp_native_ap_entry:
        lgdt    native_gdt_ptr(%rip)
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        mov     smp_ap_rsp(%rip), %rsp
        pushq   $0x08
        lea     1f(%rip), %rax
        push    %rax
        lretq
1:      mov     smp_ap_cpu(%rip), %edi
        call    smp_native_ap_main
2:      hlt
        jmp     2b
