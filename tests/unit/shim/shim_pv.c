/*
 * shim_pv.c - what the PV memory model (pv/mm.c, pv/audit.c) needs from the
 * rest of the hypervisor, for host unit tests: per-CPU areas of fake CPUs
 * whose TLB flushes and IPIs are recorded (an IPI runs its function at once,
 * "on" the target CPU), a clock, the domain table and the domain lifecycle
 * calls, the L4 template of the hypervisor's slots, descriptor-page
 * validation.  Domains are built here as core/domain.c builds them.
 */
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "shim.h"
#include "shim_pv.h"
#include "domain.h"
#include "frame.h"
#include "mm.h"
#include "percpu.h"
#include "ipi.h"
#include "panic.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "arch/pv.h"

struct percpu *percpu_area[NR_CPUS];
struct domain *domain_table[MAX_DOMAINS];
u64 pte_nx_mask, pte_global_mask;
pte_t *hv_l4_template;

struct shim_flush_log shim_flush_log;
u64 shim_tsc;
int shim_seg_desc_rc;
unsigned int shim_seg_desc_calls;
unsigned int shim_domain_released, shim_domain_maybe_destroyed;

static struct percpu cpus[NR_CPUS];
static struct cpu_info cpu_infos[NR_CPUS];
static unsigned int cpu_now;
static pte_t l4_template[PT_ENTRIES];

u64 shim_l4_template_entry(unsigned int slot)
{
    /* Recognisable, and nothing a guest frame could be. */
    return ((0xabc00ull + slot) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A | PTE_D;
}

void shim_flush_log_clear(void)
{
    memset(&shim_flush_log, 0, sizeof(shim_flush_log));
}

void shim_pv_reset(unsigned int nr_cpus)
{
    memset(cpus, 0, sizeof(cpus));
    memset(cpu_infos, 0, sizeof(cpu_infos));
    memset(percpu_area, 0, sizeof(percpu_area));
    memset(domain_table, 0, sizeof(domain_table));
    for (unsigned int i = 0; i < nr_cpus && i < NR_CPUS; i++) {
        cpus[i].id = i;
        cpus[i].online = true;
        cpu_infos[i].pcpu = &cpus[i];
        percpu_area[i] = &cpus[i];
    }
    memset(l4_template, 0, sizeof(l4_template));
    for (unsigned int s = HV_SLOT_FIRST; s <= HV_SLOT_LAST; s++)
        l4_template[s] = shim_l4_template_entry(s);
    hv_l4_template = l4_template;
    pte_nx_mask = PTE_NX;
    pte_global_mask = PTE_G;
    cpu_now = 0;
    shim_tsc = 1000;
    shim_seg_desc_rc = 0;
    shim_seg_desc_calls = 0;
    shim_domain_released = shim_domain_maybe_destroyed = 0;
    shim_flush_log_clear();
}

struct cpu_info *shim_cpu_info(void)
{
    return &cpu_infos[cpu_now];
}

void shim_cpu_switch(unsigned int cpu)
{
    cpu_now = cpu;
}

u64 shim_rdtsc(void)
{
    return ++shim_tsc;
}

void shim_tlb_flush(void)
{
    shim_flush_log.flushed |= 1ull << cpu_now;
    shim_flush_log.flushes++;
}

void shim_cpu_flush(unsigned int cpu)
{
    unsigned int was = cpu_now;
    cpu_now = cpu;
    flush_tlb_local();
    cpu_now = was;
}

u64 shim_cpu_stamp(unsigned int cpu)
{
    return cpus[cpu].tlbflush_stamp;
}

void ipi_call(unsigned int cpu, void (*fn)(void *), void *data)
{
    if (cpu >= NR_CPUS || !percpu_area[cpu])
        panic("ipi_call to CPU %u, which does not exist", cpu);
    shim_flush_log.ipis |= 1ull << cpu;
    unsigned int was = cpu_now;
    cpu_now = cpu;
    fn(data);
    cpu_now = was;
}

void ipi_kick(unsigned int cpu)
{
    (void)cpu;
}

int validate_seg_desc_page(struct page_info *pg)
{
    (void)pg;
    shim_seg_desc_calls++;
    return shim_seg_desc_rc;
}

void domain_release(struct domain *d)
{
    shim_domain_released++;
    domain_table[d->domain_id] = NULL;
}

void domain_maybe_destroy(struct domain *d)
{
    (void)d;
    shim_domain_maybe_destroyed++;
}

static void give_frame(struct domain *d, struct page_info *pg)
{
    pg->state = PGS_DOMAIN;
    pg->owner = d->domain_id;
    pg->linear_pt = 0;
    pg->type_info = 0;
    pg->tlbflush_stamp = 0;
    pg->count_info = PGC_allocated | 1;
    memset(mfn_to_virt(page_to_mfn(pg)), 0, PAGE_SIZE);
}

struct domain *shim_domain_new(u16 id, u64 max_pages)
{
    struct domain *d = calloc(1, sizeof(*d));
    struct vcpu *v = calloc(1, sizeof(*v));
    if (!d || !v || id >= MAX_DOMAINS || domain_table[id])
        panic("shim_domain_new(%u)", id);
    d->domain_id = id;
    d->state = DOM_RUNNING;
    d->refcnt = 1;
    d->max_pages = max_pages;
    page_list_init(&d->page_list);
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->mm_lock);
    v->domain = d;
    v->arch.kernel_mode = true;
    d->vcpu[0] = v;
    d->max_vcpus = 1;
    mfn_t si = frames_alloc(0);
    if (mfn_x(si) == INVALID_MFN_RAW)
        panic("shim_domain_new: no frame for shared_info");
    give_frame(d, mfn_to_page(si));
    mfn_to_page(si)->flags = PGF_XENHEAP;
    d->shared_info_mfn = mfn_x(si);
    d->shared_info = mfn_to_virt(si);
    domain_table[id] = d;
    return d;
}

u64 shim_domain_frame(struct domain *d)
{
    if (d->tot_pages >= d->max_pages)
        panic("shim_domain_frame: domain %u is full", d->domain_id);
    mfn_t m = frames_alloc(0);
    if (mfn_x(m) == INVALID_MFN_RAW)
        panic("shim_domain_frame: machine out of frames");
    struct page_info *pg = mfn_to_page(m);
    give_frame(d, pg);
    page_list_add_tail(&d->page_list, pg);
    d->tot_pages++;
    return mfn_x(m);
}

static void drop_allocation(struct page_info *pg)
{
    if (__atomic_fetch_and(&pg->count_info, ~PGC_allocated, __ATOMIC_SEQ_CST) & PGC_allocated)
        put_page(pg);
}

bool shim_domain_destroy(struct domain *d)
{
    u16 id = d->domain_id;
    d->state = DOM_DEAD;
    struct page_info *pg = page_list_first(&d->page_list);
    while (pg) {
        struct page_info *next = page_list_next(pg);
        drop_allocation(pg);
        pg = next;
    }
    struct page_info *si = mfn_to_page(_mfn(d->shared_info_mfn));
    drop_allocation(si);
    bool ok = d->tot_pages == 0 && si->state == PGS_FREE;
    domain_table[id] = NULL;
    free(d->vcpu[0]);
    free(d);
    return ok;
}
