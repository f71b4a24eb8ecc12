/*
 * heap.c - xmalloc/xfree over the frame allocator.
 *
 * Requests up to 2 KiB come from size classes (32 B .. 2 KiB) carved out of
 * single pages; larger ones take a block of frames.  Every object carries a
 * 16-byte header naming its class (or frame order) and a magic word, so
 * xfree() needs no size and detects frees of foreign pointers and double
 * frees (the hypervisor stops: that is a hypervisor bug, never guest input).
 */
#include "heap.h"
#include "frame.h"
#include "lib.h"
#include "spinlock.h"
#include "panic.h"
#include "arch/mm.h"

#define HEAP_MAGIC_USED 0x7e4a11c0u
#define HEAP_MAGIC_FREE 0x7e4af4eeu
#define NR_CLASSES      7               /* 32 .. 2048 */
#define CLASS_LARGE     0x80u

struct heap_hdr {
    u32 magic;
    u32 kind;                           /* class index, or CLASS_LARGE | order */
    struct heap_hdr *next_free;
};
_Static_assert(sizeof(struct heap_hdr) == 16, "heap header");

static struct heap_hdr *free_objs[NR_CLASSES];
static u64 in_use;
static DEFINE_SPINLOCK(heap_lock);

static unsigned int class_size(unsigned int c) { return 32u << c; }

void *alloc_pages(unsigned int order)
{
    mfn_t m = frames_alloc(order);
    if (mfn_x(m) == INVALID_MFN_RAW)
        return NULL;
    void *p = mfn_to_virt(m);
    memset(p, 0, PAGE_SIZE << order);
    return p;
}

void free_pages(void *p, unsigned int order)
{
    if (p)
        frames_free(virt_to_mfn(p), order);
}

void *xmalloc(size_t size)
{
    if (size > (1ul << 30))
        return NULL;
    size_t need = size + sizeof(struct heap_hdr);

    if (need > class_size(NR_CLASSES - 1)) {
        unsigned int order = 0;
        while ((PAGE_SIZE << order) < need)
            order++;
        struct heap_hdr *h = alloc_pages(order);
        if (!h)
            return NULL;
        h->magic = HEAP_MAGIC_USED;
        h->kind = CLASS_LARGE | order;
        u64 f = spin_lock_irqsave(&heap_lock);
        in_use += PAGE_SIZE << order;
        spin_unlock_irqrestore(&heap_lock, f);
        return h + 1;
    }

    unsigned int c = 0;
    while (class_size(c) < need)
        c++;

    u64 f = spin_lock_irqsave(&heap_lock);
    if (!free_objs[c]) {
        spin_unlock_irqrestore(&heap_lock, f);
        u8 *page = alloc_pages(0);
        if (!page)
            return NULL;
        f = spin_lock_irqsave(&heap_lock);
        for (size_t off = 0; off + class_size(c) <= PAGE_SIZE; off += class_size(c)) {
            struct heap_hdr *h = (struct heap_hdr *)(page + off);
            h->magic = HEAP_MAGIC_FREE;
            h->kind = c;
            h->next_free = free_objs[c];
            free_objs[c] = h;
        }
    }
    struct heap_hdr *h = free_objs[c];
    free_objs[c] = h->next_free;
    h->magic = HEAP_MAGIC_USED;
    h->next_free = NULL;
    in_use += class_size(c);
    spin_unlock_irqrestore(&heap_lock, f);
    return h + 1;
}

void *xzalloc(size_t size)
{
    void *p = xmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void xfree(void *p)
{
    if (!p)
        return;
    struct heap_hdr *h = (struct heap_hdr *)p - 1;
    if (h->magic != HEAP_MAGIC_USED)
        panic("xfree(%p): not a live heap object (magic %#x)", p, h->magic);

    if (h->kind & CLASS_LARGE) {
        unsigned int order = h->kind & 0x3f;
        h->magic = HEAP_MAGIC_FREE;
        u64 f = spin_lock_irqsave(&heap_lock);
        in_use -= PAGE_SIZE << order;
        spin_unlock_irqrestore(&heap_lock, f);
        free_pages(h, order);
        return;
    }
    u64 f = spin_lock_irqsave(&heap_lock);
    h->magic = HEAP_MAGIC_FREE;
    h->next_free = free_objs[h->kind];
    free_objs[h->kind] = h;
    in_use -= class_size(h->kind);
    spin_unlock_irqrestore(&heap_lock, f);
}

u64 heap_bytes_in_use(void)
{
    return READ_ONCE(in_use);
}
