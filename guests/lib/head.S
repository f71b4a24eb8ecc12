/*
 * head.S - the first instructions of every guest, on both kinds of platform.
 *
 * The image carries two entry points, found through its Xen ELF notes:
 *   pv_start   XEN_ELFNOTE_ENTRY: a Xen x86-64 PV kernel (Xen's dom0, Tern's
 *              domains).  64-bit, ring 3, paging on, %rsi = start_info, events
 *              masked, a boot stack in the bootstrap region (xen.h, "start of
 *              day").  XEN_ELFNOTE_HYPERCALL_PAGE asks the builder to fill
 *              hypercall_page.
 *   pvh_start  XEN_ELFNOTE_PHYS32_ENTRY: QEMU -M microvm -kernel (the native
 *              platform).  32-bit protected mode, paging off, %ebx = physical
 *              address of struct hvm_start_info.  We build page tables that map
 *              the low 4 GiB 1:1 (page 0 left unmapped as a NULL guard), load a
 *              GDT, enter long mode and call native_boot(start_info).
 * Both end in C on boot_stack; the platform code sets up the rest.
 */
#include <xen/elfnote.h>

#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_PS  0x080
#define PTE_PWT 0x008
#define PTE_PCD 0x010

/* One Xen ELF note: name "Xen", a type and a descriptor. */
.macro xen_note type, dir, val
        .balign 4
        .long   4, 2f - 1f, \type
        .asciz  "Xen"
        .balign 4
1:      \dir    \val
2:      .balign 4
.endm
.macro xen_note_str type, str
        .balign 4
        .long   4, 2f - 1f, \type
        .asciz  "Xen"
        .balign 4
1:      .asciz  "\str"
2:      .balign 4
.endm

        .section .note.Xen, "a"
        xen_note_str XEN_ELFNOTE_GUEST_OS,    tern-guest
        xen_note_str XEN_ELFNOTE_XEN_VERSION, xen-3.0
        xen_note_str XEN_ELFNOTE_LOADER,      generic
        xen_note XEN_ELFNOTE_ENTRY,          .quad,  pv_start
        xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .quad,  hypercall_page
        xen_note XEN_ELFNOTE_PHYS32_ENTRY,   .long,  pvh_start

        .section .text.head, "ax"
        .code64
        .globl  pv_start
pv_start:
        cld
        mov     %rsp, %rdx                      /* the builder's boot stack */
        lea     boot_stack_top(%rip), %rsp
        mov     %rsi, %rdi                      /* start_info */
        mov     %rdx, %rsi
        call    pv_boot
1:      ud2
        jmp     1b

        .code32
        .globl  pvh_start
pvh_start:
        cli
        cld
        mov     %ebx, %esi                      /* hvm_start_info (phys) */
        mov     $boot_stack_top, %esp

        /* pml4[0] -> pdpt; pdpt[0..3] -> pd0..pd3 */
        mov     $native_pdpt + (PTE_P | PTE_W | PTE_U), %eax
        mov     %eax, native_pml4
        mov     $native_pd + (PTE_P | PTE_W | PTE_U), %eax
        xor     %ecx, %ecx
1:      mov     %eax, native_pdpt(,%ecx,8)
        add     $4096, %eax
        inc     %ecx
        cmp     $4, %ecx
        jb      1b
        /* pd entries 1..2047: 2 MiB pages; 0xfe000000 and up uncached (MMIO) */
        mov     $1, %ecx
1:      mov     %ecx, %eax
        shl     $21, %eax
        or      $(PTE_P | PTE_W | PTE_U | PTE_PS), %eax
        cmp     $(0xfe000000 >> 21), %ecx
        jb      2f
        or      $(PTE_PCD | PTE_PWT), %eax
2:      mov     %eax, native_pd(,%ecx,8)
        inc     %ecx
        cmp     $2048, %ecx
        jb      1b
        /* pd[0] -> pt0: 4 KiB pages of the first 2 MiB, page 0 absent */
        mov     $native_pt0 + (PTE_P | PTE_W | PTE_U), %eax
        mov     %eax, native_pd
        mov     $1, %ecx
1:      mov     %ecx, %eax
        shl     $12, %eax
        or      $(PTE_P | PTE_W | PTE_U), %eax
        mov     %eax, native_pt0(,%ecx,8)
        inc     %ecx
        cmp     $512, %ecx
        jb      1b

        mov     %cr4, %eax
        or      $0x20, %eax                     /* PAE */
        mov     %eax, %cr4
        mov     $native_pml4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx               /* EFER.LME | SCE */
        rdmsr
        or      $0x101, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80010000, %eax               /* PG | WP */
        mov     %eax, %cr0
        lgdt    native_gdt_ptr
        ljmp    $0x08, $1f

        .code64
1:      mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        xor     %eax, %eax
        mov     %eax, %fs
        mov     %eax, %gs
        mov     %esi, %edi
        call    native_boot
1:      hlt
        jmp     1b

/*
 * The hypercall page: filled by the PV builder (32-byte stubs, Xen's layout);
 * natively pv-free code fills it with stubs that answer -ENOSYS.
 */
        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl  hypercall_page
hypercall_page:
        .fill   4096, 1, 0xcc

        .bss
        .balign 4096
        .globl  native_pml4, native_pdpt, native_pd, native_pt0
native_pml4:    .skip 4096
native_pdpt:    .skip 4096
native_pd:      .skip 4 * 4096
native_pt0:     .skip 4096
        .globl  boot_stack_top
        .balign 16
boot_stack:     .skip 32768
boot_stack_top:
