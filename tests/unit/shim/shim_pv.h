/*
 * shim_pv.h - test-side control of the shim of the PV memory model
 * (shim_pv.c): fake CPUs with TLB flush stamps, a clock, IPIs that run at
 * once, domains with frames from the shim's machine (shim.h).
 */
#ifndef TERN_SHIM_PV_H
#define TERN_SHIM_PV_H

#include "types.h"

struct domain;

/* What the TLB flushes did since shim_pv_reset / shim_flush_log_clear. */
struct shim_flush_log {
    u64 flushed;                /* bit n: CPU n flushed its TLB */
    u64 ipis;                   /* bit n: CPU n was sent an IPI */
    unsigned int flushes;       /* flushes in all */
};
extern struct shim_flush_log shim_flush_log;
void shim_flush_log_clear(void);

/* nr_cpus fake CPUs (CPU 0 running, every flush stamp 0), a clock that
 * starts at 1000 and advances by one per rdtsc, no domain, an L4 template
 * whose slots 256-271 read shim_l4_template_entry(slot), NX supported. */
void shim_pv_reset(unsigned int nr_cpus);
/* The fake CPU that runs from now on (this_cpu(), local flushes). */
void shim_cpu_switch(unsigned int cpu);
/* CPU cpu flushes its TLB now (as the hypervisor does at a context switch). */
void shim_cpu_flush(unsigned int cpu);
u64 shim_cpu_stamp(unsigned int cpu);
extern u64 shim_tsc;                    /* the clock: the next rdtsc returns shim_tsc + 1 */
u64 shim_l4_template_entry(unsigned int slot);

/* validate_seg_desc_page: its answer and the number of calls. */
extern int shim_seg_desc_rc;
extern unsigned int shim_seg_desc_calls;

/* domain_release / domain_maybe_destroy calls (the last frame of a domain). */
extern unsigned int shim_domain_released, shim_domain_maybe_destroyed;

/* A running domain in domain_table with one vCPU, a shared_info frame
 * (PGF_XENHEAP, off the page list) and room for max_pages frames. */
struct domain *shim_domain_new(u16 id, u64 max_pages);
/* A zeroed frame of the machine given to d as domain_assign_page does
 * (count PGC_allocated | 1, no type); its frame number. */
u64 shim_domain_frame(struct domain *d);
/* The end of a domain whose tables hold no reference any more: it dies,
 * every frame loses its allocation reference.  True if every frame went
 * back to the allocator; the structure is freed either way. */
bool shim_domain_destroy(struct domain *d);

#endif
