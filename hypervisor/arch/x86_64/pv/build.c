/*
 * pv/build.c - the PV domain builder, after Xen's start-of-day layout
 * (xen.h): one contiguous virtual region from virt_base maps pfn N at
 * virt_base + N * 4 KiB and holds, in order, the kernel image, the ramdisk,
 * the p2m list, start_info, the console ring (not for the initial domain),
 * the bootstrap page tables (L4, L3, L2, then the L1s; mapped read-only) and
 * a boot stack, then at least 512 KiB of padding, ending on a 4 MiB
 * boundary.  Both layouts met in practice work: small test kernels (no
 * VIRT_BASE, linked at 1 MiB) and Linux (VIRT_BASE 0xffffffff80000000,
 * segments placed by p_paddr).
 *
 * The bootstrap tables are written raw, then pinned through the normal type
 * system (get_page_type(L4) validates them recursively): the builder grants
 * itself no shortcut around the rules every later update must obey.
 */
#include "builder.h"
#include "domain.h"
#include "elf.h"
#include "evtchn.h"
#include "frame.h"
#include "heap.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "time.h"
#include "console.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "arch/pv.h"

#define MiB4    (4ull << 20)

int domcons_init_ring(struct domain *d, u64 ring_mfn);

struct layout {
    u64 v_start;
    u64 kernel_start, kernel_end;
    u64 ramdisk_va;
    u64 p2m_va, p2m_pages;
    u64 start_info_va;
    u64 console_va;
    u64 pt_va, nr_pt;
    u64 stack_va;
    u64 v_end;
};

/* Page-table pages needed to map [start, end) with 4 KiB pages. */
static u64 count_pt_pages(u64 start, u64 end)
{
    u64 n = 1;                                  /* L4 */
    for (unsigned int shift = L4_SHIFT; shift >= L2_SHIFT; shift -= 9) {
        u64 lo = start >> shift, hi = (end - 1) >> shift;
        n += hi - lo + 1;
    }
    return n;
}

static int plan(const struct elf_info *e, u64 nr_pages, u64 ramdisk_size, bool privileged,
                struct layout *L, char *err, size_t errlen)
{
    memset(L, 0, sizeof(*L));
    L->v_start = e->virt_base;
    L->kernel_start = ALIGN_DOWN(elf_load_va(e, e->paddr_lo), PAGE_SIZE);
    L->kernel_end = ALIGN_UP(elf_load_va(e, e->paddr_hi), PAGE_SIZE);
    if (L->kernel_start < L->v_start || L->kernel_end < L->kernel_start) {
        snprintf(err, errlen, "kernel image lies below its VIRT_BASE");
        return -1;
    }
    u64 va = L->kernel_end;
    if (ramdisk_size) {
        L->ramdisk_va = va;
        va += ALIGN_UP(ramdisk_size, PAGE_SIZE);
    }
    L->p2m_pages = (nr_pages + 511) / 512;
    L->p2m_va = va;
    va += L->p2m_pages * PAGE_SIZE;
    L->start_info_va = va;
    va += PAGE_SIZE;
    if (!privileged) {
        L->console_va = va;
        va += PAGE_SIZE;
    }
    L->pt_va = va;
    /* The tables map the region including themselves: iterate to a fixed point. */
    u64 nr_pt = 1;
    for (;;) {
        u64 end = ALIGN_UP(va + nr_pt * PAGE_SIZE + PAGE_SIZE + KiB(512), MiB4);
        u64 need = count_pt_pages(L->v_start, end);
        if (need <= nr_pt) {
            L->v_end = end;
            break;
        }
        nr_pt = need;
    }
    L->nr_pt = nr_pt;
    L->stack_va = L->pt_va + nr_pt * PAGE_SIZE;
    u64 region_pages = (L->v_end - L->v_start) >> PAGE_SHIFT;
    if (region_pages > nr_pages || L->v_end < L->v_start) {
        snprintf(err, errlen, "kernel%s needs %llu MiB of initial mapping, the domain has %llu MiB",
                 ramdisk_size ? " and ramdisk" : "",
                 (unsigned long long)((L->v_end - L->v_start) >> 20),
                 (unsigned long long)(nr_pages >> 8));
        return -1;
    }
    return 0;
}

static int allocate_memory(struct domain *d, u64 nr_pages, u64 *p2m)
{
    u64 pfn = 0;
    unsigned int order = 9;
    while (pfn < nr_pages) {
        while (order && (1ull << order) > nr_pages - pfn)
            order--;
        mfn_t m = frames_alloc(order);
        if (mfn_x(m) == INVALID_MFN_RAW) {
            if (order == 0)
                return -ENOMEM;
            order--;
            continue;
        }
        for (u64 i = 0; i < (1ull << order); i++) {
            u64 mfn = mfn_x(m) + i;
            struct page_info *pg = mfn_to_page(_mfn(mfn));
            memset(mfn_to_virt(_mfn(mfn)), 0, PAGE_SIZE);
            if (domain_assign_page(d, pg)) {
                frames_free(_mfn(mfn), 0);
                return -ENOMEM;
            }
            p2m[pfn] = mfn;
            set_gpfn_from_mfn(mfn, pfn);
            pfn++;
        }
    }
    return 0;
}

static void *va_ptr(const struct layout *L, const u64 *p2m, u64 va)
{
    u64 pfn = (va - L->v_start) >> PAGE_SHIFT;
    return (u8 *)mfn_to_virt(_mfn(p2m[pfn])) + (va & (PAGE_SIZE - 1));
}

/* Copy into guest memory by virtual address (the region maps pfns 1:1). */
static void copy_in(const struct layout *L, const u64 *p2m, u64 va, const void *src, u64 len)
{
    const u8 *s = src;
    while (len) {
        u64 chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        memcpy(va_ptr(L, p2m, va), s, chunk);
        va += chunk;
        s += chunk;
        len -= chunk;
    }
}

static void fill_hypercall_page(u8 *page)
{
    memset(page, 0xcc, PAGE_SIZE);                  /* int3 between the stubs */
    for (unsigned int i = 0; i < PAGE_SIZE / 32; i++) {
        u8 *p = page + i * 32;
        if (i == __HYPERVISOR_iret) {
            /* push %rcx; push %r11; push %rax; mov $23, %eax; syscall */
            const u8 stub[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05 };
            memcpy(p, stub, sizeof(stub));
            continue;
        }
        /* mov $i, %eax; syscall; ret */
        p[0] = 0xb8;
        p[1] = (u8)i;
        p[2] = p[3] = p[4] = 0;
        p[5] = 0x0f;
        p[6] = 0x05;
        p[7] = 0xc3;
    }
}

static void build_page_tables(const struct layout *L, const u64 *p2m)
{
    u64 next_pt = L->pt_va;
    u64 l4_va = next_pt;
    next_pt += PAGE_SIZE;
    u64 *l4 = va_ptr(L, p2m, l4_va);

    for (u64 va = L->v_start; va < L->v_end; va += PAGE_SIZE) {
        u64 *table = l4;
        for (unsigned int level = 4; level > 1; level--) {
            u64 *e = &table[pt_index(va, level)];
            if (!(*e & PTE_P)) {
                u64 pfn = (next_pt - L->v_start) >> PAGE_SHIFT;
                *e = (p2m[pfn] << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
                next_pt += PAGE_SIZE;
            }
            table = mfn_to_virt(_mfn((*e & PTE_ADDR) >> PAGE_SHIFT));
        }
        u64 pfn = (va - L->v_start) >> PAGE_SHIFT;
        bool is_pt = va >= L->pt_va && va < L->pt_va + L->nr_pt * PAGE_SIZE;
        table[pt_index(va, 1)] = (p2m[pfn] << PAGE_SHIFT) | PTE_P | PTE_U | PTE_A |
                                 (is_pt ? 0 : PTE_W | PTE_D);
    }
}

struct domain *build_pv_domain(const struct build_input *in, char *err, size_t errlen)
{
    struct elf_info e;
    if (elf_parse(in->kernel, in->kernel_size, &e, err, errlen))
        return NULL;
    u64 nr_pages = in->memory >> PAGE_SHIFT;
    struct layout L;
    if (plan(&e, nr_pages, in->ramdisk ? in->ramdisk_size : 0, in->privileged, &L, err, errlen))
        return NULL;

    struct domain *d = domain_create(in->id, in->name, in->privileged, nr_pages, in->vcpus,
                                     &in->sched);
    if (!d) {
        snprintf(err, errlen, "out of memory for the domain's structures");
        return NULL;
    }
    d->cfg_index = in->cfg_index;
    d->restarts_done = in->restarts_done;
    d->restarts_allowed = in->restarts_allowed;
    u64 *p2m = xmalloc(nr_pages * sizeof(u64));
    if (!p2m || allocate_memory(d, nr_pages, p2m)) {
        snprintf(err, errlen, "not enough free memory for %llu MiB",
                 (unsigned long long)(in->memory >> 20));
        goto fail;
    }

    /* Kernel segments, ramdisk, p2m list. */
    for (unsigned int i = 0; i < e.nr_loads; i++) {
        const struct elf_load *ld = &e.loads[i];
        copy_in(&L, p2m, elf_load_va(&e, ld->paddr), e.image + ld->offset, ld->filesz);
    }
    if (in->ramdisk)
        copy_in(&L, p2m, L.ramdisk_va, in->ramdisk, in->ramdisk_size);
    copy_in(&L, p2m, L.p2m_va, p2m, nr_pages * sizeof(u64));
    for (u64 pfn = nr_pages; pfn < L.p2m_pages * 512; pfn++) {
        u64 inval = ~0ull;
        copy_in(&L, p2m, L.p2m_va + pfn * 8, &inval, 8);
    }
    if (e.hypercall_page != UNSET_ADDR) {
        if (e.hypercall_page < L.kernel_start || e.hypercall_page + PAGE_SIZE > L.kernel_end ||
            (e.hypercall_page & (PAGE_SIZE - 1))) {
            snprintf(err, errlen, "HYPERCALL_PAGE note %#llx is not a page of the kernel image",
                     (unsigned long long)e.hypercall_page);
            goto fail;
        }
        fill_hypercall_page(va_ptr(&L, p2m, e.hypercall_page));
    }

    /* Console ring (every domain but the initial one). */
    if (L.console_va) {
        u64 ring_mfn = p2m[(L.console_va - L.v_start) >> PAGE_SHIFT];
        if (domcons_init_ring(d, ring_mfn) < 0) {
            snprintf(err, errlen, "no event channel for the console");
            goto fail;
        }
    }

    /* start_info */
    struct start_info *si = va_ptr(&L, p2m, L.start_info_va);
    snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
    si->nr_pages = nr_pages;
    si->shared_info = d->shared_info_mfn << PAGE_SHIFT;
    si->flags = in->privileged ? SIF_INITDOMAIN | SIF_PRIVILEGED : 0;
    si->store_mfn = 0;
    si->store_evtchn = 0;
    if (L.console_va) {
        si->console.domU.mfn = p2m[(L.console_va - L.v_start) >> PAGE_SHIFT];
        si->console.domU.evtchn = d->console.port;
    }
    si->pt_base = L.pt_va;
    si->nr_pt_frames = L.nr_pt;
    si->mfn_list = L.p2m_va;
    si->mod_start = in->ramdisk ? L.ramdisk_va : 0;
    si->mod_len = in->ramdisk ? in->ramdisk_size : 0;
    strlcpy((char *)si->cmd_line, in->cmdline ? in->cmdline : "", sizeof(si->cmd_line));

    d->shared_info->arch.max_pfn = nr_pages;

    /* Page tables: write them, then pin the L4 through the type system. */
    build_page_tables(&L, p2m);
    u64 l4_mfn = p2m[(L.pt_va - L.v_start) >> PAGE_SHIFT];
    struct page_info *l4 = mfn_to_page(_mfn(l4_mfn));
    spin_lock(&d->mm_lock);
    int rc = get_page_and_type(l4, d, PGT_l4_page_table);
    if (!rc) {
        __atomic_fetch_or(&l4->type_info, PGT_pinned, __ATOMIC_SEQ_CST);
        rc = get_page_and_type(l4, d, PGT_l4_page_table);       /* vCPU 0's CR3 */
    }
    spin_unlock(&d->mm_lock);
    if (rc) {
        snprintf(err, errlen, "internal: the bootstrap page tables did not validate (%d)", rc);
        goto fail;
    }

    /* vCPU 0: Xen's initial register state. */
    struct vcpu *v = d->vcpu[0];
    v->arch.guest_table = l4_mfn;
    v->arch.kernel_mode = true;
    v->arch.kernel_ss = FLAT_KERNEL_SS;
    v->arch.kernel_sp = L.stack_va + PAGE_SIZE;
    v->is_initialised = true;
    struct cpu_regs *r = &v->arch.regs;
    memset(r, 0, sizeof(*r));
    r->rip = e.entry;
    r->rsp = L.stack_va + PAGE_SIZE;
    r->rsi = L.start_info_va;
    r->cs = FLAT_KERNEL_CS;
    r->ss = FLAT_KERNEL_SS;
    r->rflags = X86_EFLAGS_IF | 2;
    update_vcpu_system_time(v);

    xfree(p2m);
    d->state = DOM_RUNNING;
    printk("Tern: domain %u (%s): %llu MiB, %u vCPU%s, kernel %s at %#llx, entry %#llx%s\n",
           d->domain_id, d->name, (unsigned long long)(in->memory >> 20), in->vcpus,
           in->vcpus == 1 ? "" : "s", e.guest_os[0] ? e.guest_os : "(unnamed)",
           (unsigned long long)L.kernel_start, (unsigned long long)e.entry,
           in->privileged ? ", initial domain" : "");
    sched_start_vcpu(v);
    return d;

fail:
    xfree(p2m);
    domain_destroy_unstarted(d);
    return NULL;
}
