/*
 * mm.c - frames, page tables and a page allocator.
 *
 * PV: the guest's own tables are walked from start_info.pt_base; each entry
 * holds a machine frame, turned into a pseudo-physical frame through the
 * read-only M2P at MACH2PHYS_VIRT_START, and pfn p is at VA p * 4 KiB (the
 * builder maps the bootstrap region at VIRT_BASE 0).  Mappings change only
 * through hypercalls (update_va_mapping here; tests use mmu_update and
 * mmuext_op themselves).  Native: frames are physical addresses, VA = PA,
 * and the tables of head.S are written directly.
 *
 * The allocator hands out pages of the initial mapping that nothing uses:
 * PV, the pages below the image (pfn 1-255) and those between the end of the
 * bootstrap structures (image, initrd, p2m list, start_info, page tables,
 * boot stack) and the end of the mapping; native, the 16 MiB above the image.
 */
#include "guest.h"

extern char __image_start[], __image_end[];
extern u64 native_pml4[];

#define MAX_FREE 8192
static u64 free_list[MAX_FREE];     /* VAs */
static unsigned nr_free;

static inline u64 *pfn_to_virt(u64 pfn) { return (u64 *)(pfn << PAGE_SHIFT); }

u64 pfn_to_mfn(u64 pfn)
{
    if (!platform_is_pv)
        return pfn;
    return ((const unsigned long *)start_info->mfn_list)[pfn];
}

u64 mfn_to_pfn(u64 mfn)
{
    if (!platform_is_pv)
        return mfn;
    return M2P[mfn];
}

u64 pte_lookup(const void *va, u64 *pte_maddr)
{
    u64 a = (u64)va;
    u64 *table = platform_is_pv ? (u64 *)start_info->pt_base : native_pml4;
    u64 table_frame = platform_is_pv ? virt_to_mfn(table) : (u64)table >> PAGE_SHIFT;
    for (int level = 4; level >= 1; level--) {
        unsigned idx = (a >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
        u64 e = table[idx];
        if (pte_maddr)
            *pte_maddr = (table_frame << PAGE_SHIFT) + idx * 8;
        if (level == 1 || !(e & PTE_P) || (e & PTE_PS))
            return e;
        table_frame = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
        table = pfn_to_virt(mfn_to_pfn(table_frame));
    }
    return 0;
}

u64 virt_to_mfn(const void *va)
{
    if (!platform_is_pv)
        return (u64)va >> PAGE_SHIFT;
    /* The bootstrap region is VA = pfn * 4 KiB: use the p2m list. */
    return pfn_to_mfn((u64)va >> PAGE_SHIFT);
}

long map_page(void *va, u64 mfn, u64 flags)
{
    u64 pte = (mfn << PAGE_SHIFT) | flags | PTE_P;
    if (platform_is_pv)
        return HYPERVISOR_update_va_mapping((u64)va, pte, UVMF_INVLPG);
    u64 maddr;
    u64 e = pte_lookup(va, &maddr);
    (void)e;
    if ((u64)va >= MiB(2))      /* only the first 2 MiB are mapped with 4 KiB pages */
        return -XEN_EINVAL;
    *(u64 *)maddr = pte | PTE_U;
    invlpg(va);
    return 0;
}

long unmap_page(void *va)
{
    if (platform_is_pv)
        return HYPERVISOR_update_va_mapping((u64)va, 0, UVMF_INVLPG);
    u64 maddr;
    pte_lookup(va, &maddr);
    if ((u64)va >= MiB(2))
        return -XEN_EINVAL;
    *(u64 *)maddr = 0;
    invlpg(va);
    return 0;
}

void *alloc_page(void)
{
    if (!nr_free)
        return NULL;
    void *p = (void *)free_list[--nr_free];
    memset(p, 0, PAGE_SIZE);
    return p;
}

void free_page(void *va)
{
    if (nr_free < MAX_FREE)
        free_list[nr_free++] = (u64)va;
}

unsigned mm_free_pages(void)
{
    return nr_free;
}

static bool mapped_rw(u64 va)
{
    u64 e = pte_lookup((void *)va, NULL);
    return (e & (PTE_P | PTE_W)) == (PTE_P | PTE_W);
}

static void add_range(u64 start, u64 end)
{
    /* Highest pages last, so that they are handed out first. */
    for (u64 va = start; va < end && nr_free < MAX_FREE; va += PAGE_SIZE)
        if (mapped_rw(va))
            free_list[nr_free++] = va;
}

void mm_init(u64 boot_rsp)
{
    u64 img_end = ALIGN_UP((u64)__image_end, PAGE_SIZE);
    if (!platform_is_pv) {
        add_range(img_end, img_end + MiB(16));
        return;
    }
    const start_info_t *si = start_info;
    u64 end = img_end;
    end = MAX(end, ALIGN_UP(si->mfn_list + si->nr_pages * 8, PAGE_SIZE));
    end = MAX(end, ALIGN_UP((u64)si + PAGE_SIZE, PAGE_SIZE));
    end = MAX(end, si->pt_base + si->nr_pt_frames * PAGE_SIZE);
    if (si->mod_start && !(si->flags & SIF_MOD_START_PFN))
        end = MAX(end, ALIGN_UP(si->mod_start + si->mod_len, PAGE_SIZE));
    end = MAX(end, ALIGN_UP(boot_rsp, PAGE_SIZE));
    /* Up to the end of the initial mapping (at most 32 MiB on). */
    u64 top = end;
    while (top < end + MiB(32) && (pte_lookup((void *)top, NULL) & PTE_P))
        top += PAGE_SIZE;
    add_range(PAGE_SIZE, (u64)__image_start);
    add_range(end, top);
}
