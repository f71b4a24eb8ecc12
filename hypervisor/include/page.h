/*
 * page.h - the frame table: one struct page_info per machine frame.
 *
 * The frame table is sized to RAM at boot (mm.c) and mapped at
 * FRAMETABLE_VIRT_START.  Every frame is in exactly one state:
 *
 *   PGS_RESERVED  not RAM, or RAM the firmware/boot loader still uses
 *   PGS_FREE      in the buddy allocator (frame.c); the head of a free block
 *                 carries PGF_HEAD and its order
 *   PGS_HV        owned by the hypervisor (heap, page tables, stacks)
 *   PGS_DOMAIN    owned by a domain (owner); count_info and type_info carry the
 *                 PV MMU's general reference count and page type
 *
 * Pages on a list (free lists, a domain's page list) are linked by frame
 * number, so struct page_info stays small (40 bytes).
 */
#ifndef TERN_PAGE_H
#define TERN_PAGE_H

#include "types.h"

#define PAGE_LIST_NULL  0xffffffffu

struct page_info {
    u32 next, prev;         /* list links: frame numbers */
    u8  state;              /* PGS_* */
    u8  order;              /* free block order (head only) */
    u8  flags;              /* PGF_* */
    u8  pad0;
    u16 owner;              /* domid, PGS_DOMAIN only */
    s16 linear_pt;          /* PV table: > 0 linear entries in it, < 0 linear uses of it */
    u64 count_info;         /* general reference count (PV MMU, pv/mm.c) */
    u64 type_info;          /* page type, type count, validated/pinned (PV MMU) */
    u64 tlbflush_stamp;     /* TSC when its type count last dropped to zero */
};
_Static_assert(sizeof(struct page_info) == 40, "page_info size");

enum { PGS_RESERVED = 0, PGS_FREE, PGS_HV, PGS_DOMAIN };
#define PGF_HEAD        0x01    /* free: first frame of a block */
#define PGF_XENHEAP     0x02    /* domain: a hypervisor page shared with it (shared_info) */

struct page_list {
    u32 head, tail;
    u64 count;
};

extern struct page_info *frame_table;
extern u64 frame_table_size;        /* number of entries: highest RAM frame + 1 */

static inline struct page_info *mfn_to_page(mfn_t m) { return &frame_table[mfn_x(m)]; }
static inline mfn_t page_to_mfn(const struct page_info *pg) { return _mfn((u64)(pg - frame_table)); }
static inline bool mfn_valid(mfn_t m) { return mfn_x(m) < frame_table_size; }

void page_list_init(struct page_list *l);
void page_list_add_tail(struct page_list *l, struct page_info *pg);
void page_list_del(struct page_list *l, struct page_info *pg);
struct page_info *page_list_first(const struct page_list *l);
struct page_info *page_list_next(const struct page_info *pg);

#endif
