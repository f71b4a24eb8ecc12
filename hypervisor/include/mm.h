/*
 * mm.h - the PV memory model: references and types of machine frames.
 *
 * Every frame a domain owns carries (page.h):
 *  - count_info: PGC_allocated (the domain's own reference, dropped when it
 *    dies) plus a general reference count.  Every mapping of the frame in a
 *    validated page table, every pin and every CR3 that names it holds one.
 *    At zero the frame goes back to the allocator.
 *  - type_info: a type (none, L1-L4 page table, segment descriptors, writable)
 *    and a type count.  A frame can change type only while its type count is
 *    zero, so a frame is never at once a page table and mapped writable.
 *    A page-table type is PGT_validated once every present entry has been
 *    checked and has taken its own references (recursively); PGT_pinned
 *    holds one type reference on behalf of the guest (MMUEXT_PIN_*).
 * Read Xen's arch/x86/mm.c opening comment for the model; pv/mm.c is ours.
 */
#ifndef TERN_MM_H
#define TERN_MM_H

#include "types.h"
#include "page.h"

struct domain;

#define PGC_allocated       (1ull << 63)
#define PGC_count_mask      ((1ull << 48) - 1)

#define PGT_count_mask      ((1ull << 32) - 1)
#define PGT_validated       (1ull << 56)
#define PGT_pinned          (1ull << 57)
#define PGT_type_shift      60
#define PGT_type_mask       (15ull << PGT_type_shift)
#define PGT_none            (0ull << PGT_type_shift)
#define PGT_l1_page_table   (1ull << PGT_type_shift)
#define PGT_l2_page_table   (2ull << PGT_type_shift)
#define PGT_l3_page_table   (3ull << PGT_type_shift)
#define PGT_l4_page_table   (4ull << PGT_type_shift)
#define PGT_seg_desc_page   (5ull << PGT_type_shift)
#define PGT_writable_page   (7ull << PGT_type_shift)

static inline bool pgt_is_pagetable(u64 type)
{
    return type >= PGT_l1_page_table && type <= PGT_l4_page_table;
}

struct domain *page_get_owner(const struct page_info *pg);
bool get_page(struct page_info *pg, struct domain *d);
void put_page(struct page_info *pg);
int get_page_type(struct page_info *pg, u64 type);
void put_page_type(struct page_info *pg);
int get_page_and_type(struct page_info *pg, struct domain *d, u64 type);
void put_page_and_type(struct page_info *pg);
/* Frame number -> page owned by d with a general reference, or NULL. */
struct page_info *get_page_from_mfn(u64 mfn, struct domain *d);

/* Entry updates of validated tables (the PV MMU hypercalls, ptwr). */
int mod_l1_entry(struct domain *d, u64 *pl1e, u64 nl1e, bool preserve_ad);
int mod_lN_entry(struct domain *d, u64 table_type, u64 *ple, unsigned int slot, u64 ne);
int ptwr_update_l1(struct domain *d, u64 *pl1e, u64 old, u64 nl1e);

/* TLB shootdown for a domain's page-table changes (all CPUs that ran it). */
void domain_flush_tlb(struct domain *d);
void flush_tlb_mask(u64 cpumask);
void flush_tlb_local(void);

/* Machine-to-phys table. */
extern u64 *m2p_table;                  /* writable view */
extern u64 m2p_entries;
void m2p_init(void);
static inline void set_gpfn_from_mfn(u64 mfn, u64 pfn) { if (mfn < m2p_entries) m2p_table[mfn] = pfn; }
#define INVALID_M2P_ENTRY   (~0ull)

/* Frame-table audit of one domain: counts agree with the page tables. */
bool mm_audit_domain(struct domain *d, char *why, size_t whylen);

#endif
