/*
 * boot.S - the hypervisor's first instructions, for both boot protocols.
 *
 *  - PVH (QEMU -M microvm -kernel): entered in 32-bit protected mode, paging
 *    off, %ebx = physical address of struct hvm_start_info.  QEMU finds the
 *    entry through the XEN_ELFNOTE_PHYS32_ENTRY note, which must sit in a
 *    PT_NOTE program header (see link.ld).
 *  - Multiboot2 (GRUB): same CPU state, %eax = 0x36d76289, %ebx = the
 *    multiboot information structure.
 *
 * Both paths build the boot page tables (phys 0-4 GiB mapped twice with 2 MiB
 * pages: identity, and at HV_VIRT_BASE where the image is linked), enter long
 * mode, jump to the linked address and call start_tern(magic, info).  The C
 * code then builds the real page tables (paging.c).  The boot tables stay: the
 * AP trampoline uses them (smp.c).
 *
 * The image is linked at HV_VIRT_BASE + HV_PHYS_LOAD but runs at its physical
 * address until paging is on, so 32-bit code refers to symbols by PHYS(sym).
 */
#include "layout.h"
#include "arch/asm-offsets.h"

#define PHYS(sym)       ((sym) - HV_VIRT_BASE)

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_BOOT_MAGIC   0x36d76289
#define PVH_BOOT_MAGIC   0x336ec578
#define BOOT_PT_PAGES    7

        .section .text.head, "ax"
        .code32
/* ---- Multiboot2 header: first bytes of the image, 8-byte aligned ---- */
        .balign 8
mb2_header:
        .long   MB2_HEADER_MAGIC
        .long   0                               /* i386 */
        .long   mb2_header_end - mb2_header
        .long   -(MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
        /* entry address tag: e_entry is a virtual address, GRUB needs physical */
        .balign 8
        .short  3, 0
        .long   12
        .long   PHYS(mb2_entry)
        /* module alignment tag: page-aligned modules (the boot bundle) */
        .balign 8
        .short  6, 0
        .long   8
        /* end tag */
        .balign 8
        .short  0, 0
        .long   8
mb2_header_end:

        .globl  mb2_entry
mb2_entry:
        cli
        cld
        mov     %eax, %edi
        mov     %ebx, %esi
        jmp     common32

        .globl  pvh_entry
pvh_entry:
        cli
        cld
        mov     $PVH_BOOT_MAGIC, %edi
        mov     %ebx, %esi

common32:
        /* A CPU without long mode cannot run Tern: say so on COM1 and halt. */
        mov     $0x80000000, %eax
        cpuid
        cmp     $0x80000001, %eax
        jb      no_long_mode
        mov     $0x80000001, %eax
        cpuid
        bt      $29, %edx
        jnc     no_long_mode
        mov     %edx, %ebp                      /* bit 20: NX */

        /* Boot page tables: zero the 7 pages, then map phys 0-4 GiB twice. */
        push    %edi
        mov     $PHYS(boot_pt_start), %edi
        mov     $(BOOT_PT_PAGES * 4096 / 4), %ecx
        xor     %eax, %eax
        rep stosl
        pop     %edi

        mov     $PHYS(boot_l3_low), %eax
        or      $3, %eax
        mov     %eax, PHYS(boot_l4)                      /* L4[0]: identity */
        mov     $PHYS(boot_l3_high), %eax
        or      $3, %eax
        mov     %eax, PHYS(boot_l4) + ((HV_VIRT_BASE >> 39) & 511) * 8
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $12, %eax
        add     $PHYS(boot_l2), %eax
        or      $3, %eax
        mov     %eax, PHYS(boot_l3_low)(,%ecx,8)
        mov     %eax, PHYS(boot_l3_high) + ((HV_VIRT_BASE >> 30) & 511) * 8(,%ecx,8)
        inc     %ecx
        cmp     $4, %ecx
        jne     1b
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $0x83, %eax                             /* present, RW, 2 MiB */
        mov     %eax, PHYS(boot_l2)(,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jne     1b

        mov     %cr4, %eax
        or      $0x20, %eax                             /* PAE */
        mov     %eax, %cr4
        mov     $PHYS(boot_l4), %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx                       /* EFER */
        rdmsr
        or      $0x100, %eax                            /* LME */
        bt      $20, %ebp
        jnc     2f
        or      $0x800, %eax                            /* NXE */
2:      wrmsr
        mov     %cr0, %eax
        or      $0x80010001, %eax                       /* PG | WP | PE */
        mov     %eax, %cr0
        lgdt    PHYS(boot_gdt_ptr)
        ljmp    $0x08, $PHYS(start64_low)

no_long_mode:
        mov     $PHYS(no_lm_msg), %ebx
3:      movb    (%ebx), %al
        test    %al, %al
        jz      4f
        mov     $0x3f8, %dx
        outb    %al, %dx
        inc     %ebx
        jmp     3b
4:      hlt
        jmp     4b

        .code64
start64_low:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        movabs  $start64_high, %rax
        jmp     *%rax

        .section .rodata.head, "a"
no_lm_msg:
        .asciz  "Tern: this CPU has no 64-bit long mode; halting.\r\n"
        .balign 8
boot_gdt:
        .quad   0
        .quad   0x00af9a000000ffff                      /* 0x08: 64-bit code */
        .quad   0x00cf92000000ffff                      /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
        .short  boot_gdt_end - boot_gdt - 1
        .long   PHYS(boot_gdt)

/* ---- PVH entry note (PT_NOTE, see link.ld) ---- */
        .section .note.Xen, "a"
        .balign 4
        .long   4                                       /* namesz: "Xen\0" */
        .long   4                                       /* descsz */
        .long   18                                      /* XEN_ELFNOTE_PHYS32_ENTRY */
        .asciz  "Xen"
        .long   PHYS(pvh_entry)

        .text
start64_high:
        /* %edi = boot magic, %esi = boot info (physical); keep them. */
        mov     %rdi, %r12
        mov     %rsi, %r13
        lea     __bss_start(%rip), %rdi
        lea     __bss_end(%rip), %rcx
        sub     %rdi, %rcx
        shr     $3, %rcx
        xor     %eax, %eax
        rep stosq
        lea     bsp_stack(%rip), %rsp
        add     $(STACK_SIZE - CPUINFO_sizeof), %rsp
        xor     %ebp, %ebp
        mov     %r12, %rdi
        mov     %r13, %rsi
        call    start_tern
        ud2

/*
 * AP entry after the trampoline (smp.c): running at the linked address on the
 * boot page tables.  Switch to the final tables, take the stack the BSP left
 * for us and enter C.
 */
        .globl  ap_entry64
ap_entry64:
        mov     ap_boot_cr3(%rip), %rax
        mov     %rax, %cr3
        mov     ap_boot_rsp(%rip), %rsp
        xor     %ebp, %ebp
        call    ap_start
        ud2

        /* Boot page tables and the BSP's stack block live outside .bss:
         * the tables are in use while .bss is cleared. */
        .section .bss.boot, "aw", @nobits
        .balign 4096
        .globl  boot_pt_start, boot_l4
boot_pt_start:
boot_l4:        .skip 4096
boot_l3_low:    .skip 4096
boot_l3_high:   .skip 4096
boot_l2:        .skip 4 * 4096

        .section .bss.stack, "aw", @nobits
        .balign STACK_SIZE
        .globl  bsp_stack
bsp_stack:      .skip STACK_SIZE
