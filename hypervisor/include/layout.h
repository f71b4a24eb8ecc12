/*
 * layout.h - the hypervisor's virtual address space.
 *
 * Tern occupies L4 slots 256-271 (0xffff800000000000-0xffff87ffffffffff) of
 * every address space, guests' included, exactly where Xen sits: Linux leaves
 * that hole for the hypervisor.  Everything below slot 256 and above slot 271
 * belongs to the guest.  The L3 tables under slots 256-271 are allocated once
 * at boot and shared by every L4, so a mapping added there is seen everywhere.
 *
 *  slot 256  0xffff800000000000  read-only machine-to-phys table (MACH2PHYS_VIRT_START)
 *  slot 257  0xffff808000000000  per-CPU GDT and LDT windows, fixmap (LAPIC, IOAPIC)
 *  slot 261  0xffff82d040000000  hypervisor image (Xen links at the same address)
 *            0xffff82e000000000  frame table (struct page_info per machine frame)
 *  slot 262+ 0xffff830000000000  direct map of all RAM (up to 5 TiB)
 *
 * This file is included by assembly too: constants only.
 */
#ifndef TERN_LAYOUT_H
#define TERN_LAYOUT_H

#define HV_SLOT_FIRST           256
#define HV_SLOT_LAST            271

#define M2P_RO_VIRT_START       0xffff800000000000
#define M2P_RO_VIRT_END         0xffff804000000000

#define GDTWIN_VIRT_START       0xffff808000000000   /* 64 KiB per pCPU, see gdt.c */
#define GDTWIN_SIZE             0x10000
#define LDTWIN_VIRT_START       0xffff808040000000   /* 64 KiB per pCPU, pv/segments.c */
#define LDTWIN_SIZE             0x10000
#define FIXMAP_VIRT_START       0xffff80c000000000   /* 4 KiB slots, see paging.c */

/* The image window: HV_VIRT_BASE + p is physical address p (boot only, 1 GiB). */
#define HV_VIRT_BASE            0xffff82d040000000
#define HV_PHYS_LOAD            0x200000
#define HV_IMAGE_START          (HV_VIRT_BASE + HV_PHYS_LOAD)

#define FRAMETABLE_VIRT_START   0xffff82e000000000
#define FRAMETABLE_SIZE         0x2000000000         /* 128 GiB */

#define DIRECTMAP_VIRT_START    0xffff830000000000
#define DIRECTMAP_SIZE          0x50000000000        /* 5 TiB, slots 262-271 */

/* Per-CPU stack block: IST stacks below, the main stack on top, cpu_info last. */
#define STACK_ORDER             3
#define STACK_SIZE              (4096 << STACK_ORDER)
#define IST_DF_PAGE             1                    /* page index within the block */
#define IST_NMI_PAGE            2
#define IST_MCE_PAGE            3

/* Where the AP trampoline is copied (a free page below 1 MiB). */
#define TRAMPOLINE_PHYS         0x8000

#endif
