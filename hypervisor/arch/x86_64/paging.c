/*
 * paging.c - the hypervisor's own page tables and the boot memory setup.
 *
 * mm_init() runs once on the BSP, on the boot page tables (boot.S), and:
 *  1. derives the free RAM: RAM ranges of the memory map minus anything not
 *     RAM, minus the first MiB (firmware, AP trampoline), the image and the
 *     boot modules;
 *  2. builds the idle page table: the image with 4 KiB pages and W^X
 *     permissions, the direct map of RAM (2 MiB pages, NX), the frame table;
 *     the L3 tables under slots 256-271 are allocated here once and shared by
 *     every address space that will ever exist (layout.h);
 *  3. switches to it, then hands the remaining free RAM to the buddy
 *     allocator (frame.c).
 * Until the switch, page-table pages come from a bump allocator over free
 * RAM below 4 GiB and are reached through the boot window (HV_VIRT_BASE).
 */
#include "arch/pagetable.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "bootinfo.h"
#include "console.h"
#include "frame.h"
#include "layout.h"
#include "lib.h"
#include "panic.h"
#include "spinlock.h"
#include "mm_init.h"

#define MIN_RAM_MIB     32
#define MAX_FREE_RANGES 64
#define FIXMAP_SLOTS    64

extern char __image_start[], __text_end[], __rodata_end[], __data_end[], __image_end[];

u64 pte_nx_mask, pte_global_mask;
pte_t *hv_l4_template;

static pte_t idle_l4[PT_ENTRIES] __aligned(4096);
static bool directmap_ready;
static DEFINE_SPINLOCK(map_lock);

struct range { u64 start, end; };
static struct range free_ranges[MAX_FREE_RANGES];
static unsigned int nr_free_ranges;
u64 ram_total_bytes;

static void *pt_va(paddr_t pa)
{
    return directmap_ready ? maddr_to_virt(pa) : (void *)(HV_VIRT_BASE + pa);
}

/* Early bump allocator: the lowest free page below 4 GiB. */
static paddr_t early_alloc_page(void)
{
    for (unsigned int i = 0; i < nr_free_ranges; i++) {
        struct range *r = &free_ranges[i];
        if (r->end - r->start >= PAGE_SIZE && r->start + PAGE_SIZE <= GiB(4)) {
            paddr_t pa = r->start;
            r->start += PAGE_SIZE;
            memset(pt_va(pa), 0, PAGE_SIZE);
            return pa;
        }
    }
    fatal_input("out of memory while building the hypervisor's page tables");
}

static paddr_t alloc_pt_page(void)
{
    if (!directmap_ready)
        return early_alloc_page();
    mfn_t m = frames_alloc(0);
    if (mfn_x(m) == INVALID_MFN_RAW)
        return 0;
    memset(mfn_to_virt(m), 0, PAGE_SIZE);
    return mfn_x(m) << PAGE_SHIFT;
}

/* The entry for va at `level` (1..3), creating tables on the way. */
static pte_t *walk_create(u64 va, unsigned int level)
{
    pte_t *table = idle_l4;
    for (unsigned int l = 4; l > level; l--) {
        pte_t *e = &table[pt_index(va, l)];
        if (!(*e & PTE_P)) {
            paddr_t pa = alloc_pt_page();
            if (!pa)
                return NULL;
            /* U on the way down: leaves decide.  Only slot 256 (M2P) uses it. */
            *e = pa | PTE_P | PTE_W | PTE_U | PTE_A;
        }
        if (*e & PTE_PS)
            return NULL;
        table = pt_va(*e & PTE_ADDR);
    }
    return &table[pt_index(va, level)];
}

static int map_level(u64 va, paddr_t pa, u64 nr, u64 flags, unsigned int level)
{
    u64 step = 1ull << (L1_SHIFT + 9 * (level - 1));
    flags &= ~PTE_NX | pte_nx_mask;
    for (u64 i = 0; i < nr; i++) {
        pte_t *e = walk_create(va + i * step, level);
        if (!e)
            return -1;
        *e = ((pa + i * step) & PTE_ADDR) | flags | PTE_P | PTE_A | PTE_D |
             (level > 1 ? PTE_PS : 0);
    }
    return 0;
}

int map_pages(u64 va, paddr_t pa, u64 nr_pages, u64 flags)
{
    u64 f = spin_lock_irqsave(&map_lock);
    int r = map_level(va, pa, nr_pages, flags, 1);
    for (u64 i = 0; i < nr_pages; i++)
        invlpg((void *)(va + i * PAGE_SIZE));
    spin_unlock_irqrestore(&map_lock, f);
    return r;
}

void unmap_pages(u64 va, u64 nr_pages)
{
    u64 f = spin_lock_irqsave(&map_lock);
    for (u64 i = 0; i < nr_pages; i++) {
        pte_t *e = walk_create(va + i * PAGE_SIZE, 1);
        if (e)
            *e = 0;
        invlpg((void *)(va + i * PAGE_SIZE));
    }
    spin_unlock_irqrestore(&map_lock, f);
}

void *fixmap_mmio(paddr_t pa)
{
    static unsigned int next;
    u64 f = spin_lock_irqsave(&map_lock);
    unsigned int slot = next < FIXMAP_SLOTS ? next++ : FIXMAP_SLOTS;
    spin_unlock_irqrestore(&map_lock, f);
    if (slot == FIXMAP_SLOTS)
        panic("fixmap exhausted");
    u64 va = FIXMAP_VIRT_START + (u64)slot * PAGE_SIZE;
    if (map_pages(va, pa & PAGE_MASK, 1, PTE_W | PTE_PCD | PTE_PWT | PTE_NX | pte_global_mask))
        panic("fixmap: no memory for page tables");
    return (void *)(va + (pa & ~PAGE_MASK));
}

paddr_t idle_pagetable(void)
{
    return virt_to_maddr(idle_l4);
}

/* ---- free RAM ---- */

static void subtract(u64 start, u64 end)
{
    for (unsigned int i = 0; i < nr_free_ranges; i++) {
        struct range *r = &free_ranges[i];
        if (end <= r->start || start >= r->end)
            continue;
        if (start <= r->start && end >= r->end) {
            r->start = r->end;                          /* swallowed */
        } else if (start <= r->start) {
            r->start = end;
        } else if (end >= r->end) {
            r->end = start;
        } else if (nr_free_ranges < MAX_FREE_RANGES) {  /* split */
            free_ranges[nr_free_ranges].start = end;
            free_ranges[nr_free_ranges].end = r->end;
            nr_free_ranges++;
            r->end = start;
        } else {
            r->end = start;                             /* lose the tail */
        }
    }
}

static void sort_free_ranges(void)
{
    for (unsigned int i = 1; i < nr_free_ranges; i++) {
        struct range r = free_ranges[i];
        unsigned int j = i;
        while (j && free_ranges[j - 1].start > r.start) {
            free_ranges[j] = free_ranges[j - 1];
            j--;
        }
        free_ranges[j] = r;
    }
}

static u64 compute_free_ram(const struct boot_info *bi)
{
    u64 max_end = 0;
    nr_free_ranges = 0;
    ram_total_bytes = 0;
    for (unsigned int i = 0; i < bi->nr_mem && nr_free_ranges < MAX_FREE_RANGES; i++) {
        const struct boot_mem_range *m = &bi->mem[i];
        if (m->type != MEM_RAM)
            continue;
        u64 s = ALIGN_UP(m->start, PAGE_SIZE), e = ALIGN_DOWN(m->end, PAGE_SIZE);
        if (e > DIRECTMAP_SIZE)
            e = DIRECTMAP_SIZE;
        if (e <= s)
            continue;
        free_ranges[nr_free_ranges].start = s;
        free_ranges[nr_free_ranges].end = e;
        nr_free_ranges++;
        ram_total_bytes += e - s;
        if (e > max_end)
            max_end = e;
    }
    for (unsigned int i = 0; i < bi->nr_mem; i++)
        if (bi->mem[i].type != MEM_RAM)
            subtract(ALIGN_DOWN(bi->mem[i].start, PAGE_SIZE), ALIGN_UP(bi->mem[i].end, PAGE_SIZE));
    subtract(0, MiB(1));
    subtract(virt_to_maddr(__image_start), virt_to_maddr(__image_end));
    for (unsigned int i = 0; i < bi->nr_modules; i++)
        subtract(ALIGN_DOWN(bi->modules[i].start, PAGE_SIZE),
                 ALIGN_UP(bi->modules[i].start + bi->modules[i].size, PAGE_SIZE));
    sort_free_ranges();
    return max_end;
}

/* ---- building the idle page table ---- */

static void map_image(void)
{
    u64 g = pte_global_mask;
    struct { char *start, *end; u64 flags; } parts[] = {
        { __image_start, __text_end, g },                          /* RX */
        { __text_end, __rodata_end, g | PTE_NX },                  /* R */
        { __rodata_end, __data_end, g | PTE_W | PTE_NX },          /* RW */
        { __data_end, __image_end, g | PTE_NX },                   /* symbols: R */
    };
    for (unsigned int i = 0; i < ARRAY_SIZE(parts); i++) {
        u64 va = (u64)parts[i].start;
        u64 n = ((u64)parts[i].end - va) >> PAGE_SHIFT;
        if (n && map_level(va, virt_to_maddr(parts[i].start), n, parts[i].flags, 1))
            fatal_input("out of memory while mapping the image");
    }
}

static void map_directmap(const struct boot_info *bi)
{
    for (unsigned int i = 0; i < bi->nr_mem; i++) {
        const struct boot_mem_range *m = &bi->mem[i];
        if (m->type != MEM_RAM)
            continue;
        u64 s = ALIGN_DOWN(m->start, MiB(2)), e = ALIGN_UP(m->end, MiB(2));
        if (e > DIRECTMAP_SIZE)
            e = DIRECTMAP_SIZE;
        for (u64 pa = s; pa < e; pa += MiB(2)) {
            pte_t *l2e = walk_create(DIRECTMAP_VIRT_START + pa, 2);
            if (!l2e)
                fatal_input("out of memory while building the direct map");
            *l2e = pa | PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS | pte_global_mask | pte_nx_mask;
        }
    }
}

static void map_frame_table(u64 nr_frames)
{
    u64 pages = PFN_UP(nr_frames * sizeof(struct page_info));
    for (u64 i = 0; i < pages; i++) {
        paddr_t pa = early_alloc_page();
        pte_t *e = walk_create(FRAMETABLE_VIRT_START + i * PAGE_SIZE, 1);
        if (!e)
            fatal_input("out of memory while mapping the frame table");
        *e = pa | PTE_P | PTE_W | PTE_A | PTE_D | pte_global_mask | pte_nx_mask;
    }
}

void mm_init(const struct boot_info *bi)
{
    u32 a, b, c, d;
    cpuid(0x80000001, &a, &b, &c, &d);
    pte_nx_mask = (d & (1u << 20)) ? PTE_NX : 0;
    cpuid(1, &a, &b, &c, &d);
    pte_global_mask = (d & (1u << 13)) ? PTE_G : 0;

    u64 max_end = compute_free_ram(bi);
    if (ram_total_bytes < MiB(MIN_RAM_MIB))
        fatal_input("too little RAM: %llu MiB usable, Tern needs at least %d MiB",
                    (unsigned long long)(ram_total_bytes >> 20), MIN_RAM_MIB);
    for (unsigned int i = 0; i < bi->nr_modules; i++) {
        const struct boot_module *mod = &bi->modules[i];
        bool in_ram = false;
        for (unsigned int j = 0; j < bi->nr_mem; j++)
            if (bi->mem[j].type == MEM_RAM && mod->start >= bi->mem[j].start &&
                mod->start + mod->size <= bi->mem[j].end)
                in_ram = true;
        if (!in_ram)
            fatal_input("boot module %u at %#llx (%llu bytes) is not inside RAM", i,
                        (unsigned long long)mod->start, (unsigned long long)mod->size);
    }

    u64 nr_frames = max_end >> PAGE_SHIFT;
    /* The L3 tables of the hypervisor's slots: one each, shared forever. */
    for (unsigned int s = HV_SLOT_FIRST; s <= HV_SLOT_LAST; s++)
        idle_l4[s] = early_alloc_page() | PTE_P | PTE_W | PTE_A | (s == HV_SLOT_FIRST ? PTE_U : 0);
    map_image();
    map_directmap(bi);
    map_frame_table(nr_frames);

    u64 cr4 = read_cr4();
    if (pte_global_mask)
        cr4 |= X86_CR4_PGE;
    write_cr4(cr4);
    write_cr3(idle_pagetable());
    directmap_ready = true;
    hv_l4_template = idle_l4;

    frames_init((struct page_info *)FRAMETABLE_VIRT_START, nr_frames);
    for (unsigned int i = 0; i < nr_free_ranges; i++)
        if (free_ranges[i].end > free_ranges[i].start)
            frames_add_range(free_ranges[i].start >> PAGE_SHIFT, free_ranges[i].end >> PAGE_SHIFT);
}
