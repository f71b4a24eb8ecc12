/*
 * arch/desc.h - the GDT, IDT and TSS, and the selectors of Xen's x86-64 ABI.
 *
 * Each physical CPU's GDT is a 64 KiB window (GDTWIN_VIRT_START + cpu * 64
 * KiB): pages 0-13 hold the running guest's own GDT frames (a zero page when
 * it has none), page 14 is the CPU's hypervisor page with the reserved
 * selectors from 0xe000 up, which PV guests use directly (FLAT_RING3_*).
 */
#ifndef ARCH_DESC_H
#define ARCH_DESC_H

#include "types.h"

#define FIRST_RESERVED_GDT_PAGE 14
#define GDT_LIMIT               (15 * 4096 - 1)

#define HYPERVISOR_CS           0xe008      /* ring 0, 64-bit */
#define HYPERVISOR_DS           0xe010      /* ring 0 data */
#define FLAT_RING3_CS32_SEL     0xe023
#define FLAT_RING3_DS_SEL       0xe02b
#define FLAT_RING3_CS64_SEL     0xe033
#define HYPERVISOR_CS32         0xe038
#define TSS_SEL                 0xe040
#define LDT_SEL                 0xe050

#define VEC_DE  0
#define VEC_DB  1
#define VEC_NMI 2
#define VEC_BP  3
#define VEC_OF  4
#define VEC_BR  5
#define VEC_UD  6
#define VEC_NM  7
#define VEC_DF  8
#define VEC_TS  10
#define VEC_NP  11
#define VEC_SS  12
#define VEC_GP  13
#define VEC_PF  14
#define VEC_MF  16
#define VEC_AC  17
#define VEC_MC  18
#define VEC_XM  19

/* Interrupt vectors the hypervisor uses. */
#define VEC_SERIAL      0xe0        /* COM1's receive interrupt, through the I/O APIC */
#define VEC_TIMER       0xf0
#define VEC_IPI_EVENT   0xf1        /* softirq kick from another CPU */
#define VEC_IPI_CALL    0xf2        /* run a function on another CPU */
#define VEC_SPURIOUS    0xff

struct percpu;
void gdt_init_cpu(struct percpu *p);    /* GDT window, TSS, load them */
void idt_init(void);                    /* once, on the BSP */
void idt_load(void);

#endif
