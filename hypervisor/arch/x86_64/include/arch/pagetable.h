/*
 * arch/pagetable.h - x86-64 4-level page-table entries.
 */
#ifndef ARCH_PAGETABLE_H
#define ARCH_PAGETABLE_H

#include "types.h"

#define PTE_P       (1ul << 0)
#define PTE_W       (1ul << 1)
#define PTE_U       (1ul << 2)
#define PTE_PWT     (1ul << 3)
#define PTE_PCD     (1ul << 4)
#define PTE_A       (1ul << 5)
#define PTE_D       (1ul << 6)
#define PTE_PS      (1ul << 7)     /* L2/L3: large page; L1: PAT */
#define PTE_G       (1ul << 8)
#define PTE_NX      (1ul << 63)
#define PTE_ADDR    0x000ffffffffff000ul

#define L1_SHIFT    12
#define L2_SHIFT    21
#define L3_SHIFT    30
#define L4_SHIFT    39
#define PT_ENTRIES  512

static inline unsigned int pt_index(u64 va, unsigned int level)
{
    return (unsigned int)(va >> (L1_SHIFT + 9 * (level - 1))) & 511;
}

typedef u64 pte_t;

/* Hypervisor mappings (paging.c). flags: PTE_* (NX is dropped where the CPU lacks it). */
int map_pages(u64 va, paddr_t pa, u64 nr_pages, u64 flags);
void unmap_pages(u64 va, u64 nr_pages);
/* Map an MMIO page uncached in the fixmap; returns its address. */
void *fixmap_mmio(paddr_t pa);
/* Physical address of the idle page table (CR3 of CPUs with no guest). */
paddr_t idle_pagetable(void);
/* Template of L4 slots 256-271, copied into every guest L4. */
extern pte_t *hv_l4_template;

extern u64 pte_nx_mask;             /* PTE_NX if the CPU has NX, else 0 */
extern u64 pte_global_mask;         /* PTE_G if the CPU has PGE, else 0 */

#endif
