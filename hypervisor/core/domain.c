/*
 * domain.c - creating domains and ending them.
 *
 * A domain ends by SCHEDOP_shutdown or by domain_crash(): every vCPU gets
 * VPF_DYING and leaves its CPU at the next exit.  When no vCPU of it runs
 * anywhere any more, domain_maybe_destroy() tears it down: page-table pins
 * and vCPU references first (which drops every type and mapping reference),
 * then each frame's allocation reference, so the frames return to the
 * allocator.  When every domain has ended, the machine exits with a status
 * saying whether all ended cleanly (poweroff, reboot) or not.
 */
#include "domain.h"
#include "console.h"
#include "evtchn.h"
#include "frame.h"
#include "heap.h"
#include "lib.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "sched.h"
#include "time.h"
#include "arch/mm.h"
#include "arch/pv.h"

struct domain *domain_table[MAX_DOMAINS];
static DEFINE_SPINLOCK(domlist_lock);
static unsigned int nr_alive;
static unsigned int nr_restarting;      /* ended, to be built again: not gone */
static bool any_unclean;

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft reset",
};

struct domain *get_domain_by_id(domid_t id)
{
    if (id >= MAX_DOMAINS)
        return NULL;
    u64 f = spin_lock_irqsave(&domlist_lock);
    struct domain *d = domain_table[id];
    if (d && d->state != DOM_DEAD && d->state != DOM_BUILDING)
        __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_ACQUIRE);
    else
        d = NULL;
    spin_unlock_irqrestore(&domlist_lock, f);
    return d;
}

void get_domain(struct domain *d)
{
    __atomic_fetch_add(&d->refcnt, 1, __ATOMIC_ACQUIRE);
}

static void free_domain(struct domain *d)
{
    for (unsigned int i = 0; i < MAX_VIRT_CPUS; i++) {
        struct vcpu *v = d->vcpu[i];
        if (!v)
            continue;
        if (i >= XEN_LEGACY_MAX_VCPUS && !v->vcpu_info_mfn)
            xfree(v->vcpu_info);        /* NULL once it lived in a guest frame */
        xfree(v);
    }
    xfree(d->evtchn);
    xfree(d);
}

void put_domain(struct domain *d)
{
    if (__atomic_sub_fetch(&d->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
        free_domain(d);
}

/* A dead domain's last frame is back: its id is free again and its structure
 * goes with its last reference.  Once only, whoever gets here first. */
void domain_release(struct domain *d)
{
    if (__atomic_exchange_n(&d->released, true, __ATOMIC_SEQ_CST))
        return;
    u64 f = spin_lock_irqsave(&domlist_lock);
    if (domain_table[d->domain_id] == d)
        domain_table[d->domain_id] = NULL;
    spin_unlock_irqrestore(&domlist_lock, f);
    put_domain(d);
}

unsigned int domains_alive(void)
{
    return READ_ONCE(nr_alive);
}

int domain_assign_page(struct domain *d, struct page_info *pg)
{
    u64 f = spin_lock_irqsave(&d->page_lock);
    if (d->tot_pages >= d->max_pages) {
        spin_unlock_irqrestore(&d->page_lock, f);
        return -ENOMEM;
    }
    pg->state = PGS_DOMAIN;
    pg->owner = d->domain_id;
    pg->linear_pt = 0;
    pg->flags = 0;
    pg->type_info = 0;
    pg->tlbflush_stamp = 0;
    pg->count_info = PGC_allocated | 1;
    page_list_add_tail(&d->page_list, pg);
    d->tot_pages++;
    spin_unlock_irqrestore(&d->page_lock, f);
    return 0;
}

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
    struct vcpu *v = xzalloc(sizeof(*v));
    if (!v)
        return NULL;
    v->vcpu_id = id;
    v->domain = d;
    v->processor = sched_place_vcpu(d->affinity);
    v->pause_flags = VPF_DOWN;
    v->arch.kernel_mode = true;
    if (id < XEN_LEGACY_MAX_VCPUS)
        v->vcpu_info = &d->shared_info->vcpu_info[id];
    else
        v->vcpu_info = xzalloc(sizeof(struct vcpu_info));   /* until it registers one */
    if (!v->vcpu_info) {
        xfree(v);
        return NULL;
    }
    v->vcpu_info->evtchn_upcall_mask = 1;
    v->runstate.state = RUNSTATE_offline;
    pv_vcpu_initialise_state(v);
    vcpu_timers_init(v);
    return v;
}

struct domain *domain_create(domid_t id, const char *name, bool privileged,
                             u64 max_pages, unsigned int nr_vcpus, const struct sched_params *sp)
{
    if (id >= MAX_DOMAINS || domain_table[id] || nr_vcpus == 0 || nr_vcpus > MAX_VIRT_CPUS)
        return NULL;
    struct domain *d = xzalloc(sizeof(*d));
    if (!d)
        return NULL;
    d->domain_id = id;
    d->refcnt = 1;
    strlcpy(d->name, name, sizeof(d->name));
    d->is_privileged = privileged;
    d->state = DOM_BUILDING;
    d->max_pages = max_pages;
    d->cfg_index = -1;
    d->affinity = sp ? sp->affinity : 0;
    sched_domain_init(d, sp ? sp->weight : 0, sp ? sp->cap : 0);
    spin_lock_init(&d->page_lock);
    spin_lock_init(&d->mm_lock);
    spin_lock_init(&d->watchdog_lock);
    spin_lock_init(&d->console.lock);
    domain_watchdogs_init(d);
    page_list_init(&d->page_list);

    /* shared_info: a hypervisor page the domain may map (never in its p2m). */
    mfn_t m = frames_alloc(0);
    if (mfn_x(m) == INVALID_MFN_RAW)
        goto fail;
    d->shared_info = mfn_to_virt(m);
    memset(d->shared_info, 0, PAGE_SIZE);
    d->shared_info_mfn = mfn_x(m);
    struct page_info *pg = mfn_to_page(m);
    pg->state = PGS_DOMAIN;
    pg->owner = id;
    pg->flags = PGF_XENHEAP;
    pg->type_info = 0;
    pg->count_info = PGC_allocated | 1;
    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        d->shared_info->vcpu_info[i].evtchn_upcall_mask = 1;
    /* Wall clock at system time zero (version even: stable). */
    d->shared_info->wc_version = 2;
    d->shared_info->wc_sec = (u32)boot_wallclock_sec;
    d->shared_info->wc_sec_hi = (u32)(boot_wallclock_sec >> 32);
    d->shared_info->wc_nsec = 0;

    d->max_vcpus = nr_vcpus;
    for (unsigned int i = 0; i < nr_vcpus; i++)
        if (!(d->vcpu[i] = vcpu_create(d, i)))
            goto fail;
    if (evtchn_domain_init(d))
        goto fail;

    u64 f = spin_lock_irqsave(&domlist_lock);
    domain_table[id] = d;
    nr_alive++;
    spin_unlock_irqrestore(&domlist_lock, f);
    return d;

fail:
    printk("Tern: out of memory creating domain %s\n", name);
    if (d->shared_info)
        frames_free(_mfn(d->shared_info_mfn), 0);
    free_domain(d);
    return NULL;
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
    if (__atomic_exchange_n(&d->state, DOM_SHUTDOWN, __ATOMIC_SEQ_CST) != DOM_RUNNING) {
        return;
    }
    d->shutdown_code = reason;
    bool clean = !d->crashed && (reason == SHUTDOWN_poweroff || reason == SHUTDOWN_reboot);
    if (!clean)
        any_unclean = true;
    console_flush_domain(d);
    if (reason == SHUTDOWN_crash && !d->crashed)
        console_dump_tail(d);           /* the guest says it crashed: show why */
    printk("Tern: domain %u (%s) ended: %s\n", d->domain_id, d->name,
           d->crashed ? "crashed" : reason <= SHUTDOWN_MAX ? shutdown_names[reason] : "unknown reason");
    for (unsigned int i = 0; i < NR_WATCHDOGS; i++)
        timer_kill(&d->watchdog[i]);
    timer_kill(&d->cap_timer);
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpu[i];
        __atomic_fetch_or(&v->pause_flags, VPF_DYING, __ATOMIC_SEQ_CST);
        vcpu_timers_stop(v);
        vcpu_sleep(v);
    }
    domain_maybe_destroy(d);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (d->state != DOM_RUNNING)
        return;
    d->crashed = true;
    printk("Tern: domain %u (%s) crashed: %s\n", d->domain_id, d->name, why);
    console_dump_tail(d);
    domain_shutdown(d, SHUTDOWN_crash);
}

void domain_relinquish_memory(struct domain *d)
{
    console_detach(d);
    spin_lock(&d->mm_lock);
    /* Phase 1: vCPU references and pins.  Every page still has its allocation
     * reference, so nothing is freed while the tables come apart. */
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        pv_vcpu_destroy(d->vcpu[i]);
    for (struct page_info *pg = page_list_first(&d->page_list); pg; pg = page_list_next(pg)) {
        if (pg->type_info & PGT_pinned) {
            __atomic_fetch_and(&pg->type_info, ~PGT_pinned, __ATOMIC_SEQ_CST);
            put_page_and_type(pg);
        }
    }
    spin_unlock(&d->mm_lock);

    /* Phase 2: the allocation references. */
    struct page_info *pg = page_list_first(&d->page_list);
    while (pg) {
        struct page_info *next = page_list_next(pg);
        if (__atomic_fetch_and(&pg->count_info, ~PGC_allocated, __ATOMIC_SEQ_CST) & PGC_allocated)
            put_page(pg);
        pg = next;
    }
    struct page_info *si = mfn_to_page(_mfn(d->shared_info_mfn));
    if (__atomic_fetch_and(&si->count_info, ~PGC_allocated, __ATOMIC_SEQ_CST) & PGC_allocated)
        put_page(si);
}

static void all_domains_ended(void)
{
    printk("Tern: all domains have ended%s\n", any_unclean ? " (not all cleanly)" : "");
    machine_exit(any_unclean ? HV_EXIT_DOMAIN_FAILED : HV_EXIT_OK);
}

/* A restart is over: the domain runs again (or could not be built). */
void domain_restart_done(bool built)
{
    if (!built)
        any_unclean = true;
    u64 f = spin_lock_irqsave(&domlist_lock);
    nr_restarting--;
    bool all_gone = nr_alive == 0 && nr_restarting == 0;
    spin_unlock_irqrestore(&domlist_lock, f);
    if (all_gone)
        all_domains_ended();
}

void domain_destroy_unstarted(struct domain *d)
{
    d->state = DOM_SHUTDOWN;
    d->destroying = true;
    evtchn_domain_destroy(d);
    domain_relinquish_memory(d);
    d->state = DOM_DEAD;
    u64 f = spin_lock_irqsave(&domlist_lock);
    nr_alive--;
    spin_unlock_irqrestore(&domlist_lock, f);
    if (READ_ONCE(d->tot_pages) == 0)
        domain_release(d);
}

void domain_maybe_destroy(struct domain *d)
{
    if (d->state != DOM_SHUTDOWN)
        return;
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i]->is_running || d->vcpu[i]->on_runq)
            return;
    if (__atomic_exchange_n(&d->destroying, true, __ATOMIC_SEQ_CST))
        return;
    struct vcpu_stats t = { 0 };
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        const struct vcpu_stats *s = &d->vcpu[i]->stats;
        t.hypercalls += s->hypercalls;
        t.exceptions += s->exceptions;
        t.interrupts += s->interrupts;
        t.syscall_bounces += s->syscall_bounces;
        t.as_switches += s->as_switches;
        t.domain_switches += s->domain_switches;
        t.ipis += s->ipis;
    }
    printk("Tern: domain %u (%s) counters: hypercalls=%llu exceptions=%llu interrupts=%llu "
           "syscall_bounces=%llu as_switches=%llu domain_switches=%llu ipis=%llu\n",
           d->domain_id, d->name, (unsigned long long)t.hypercalls,
           (unsigned long long)t.exceptions, (unsigned long long)t.interrupts,
           (unsigned long long)t.syscall_bounces, (unsigned long long)t.as_switches,
           (unsigned long long)t.domain_switches, (unsigned long long)t.ipis);
    u64 pages = d->tot_pages;
    evtchn_domain_destroy(d);
    domain_relinquish_memory(d);
    d->state = DOM_DEAD;
    if (d->tot_pages == 0)
        printk("Tern: domain %u (%s): all %llu frames returned, %llu frames free, "
               "heap %llu bytes\n", d->domain_id, d->name, (unsigned long long)pages,
               (unsigned long long)frames_free_count(), (unsigned long long)heap_bytes_in_use());
    else
        printk("Tern: domain %u (%s): %llu pages still referenced from elsewhere\n",
               d->domain_id, d->name, (unsigned long long)d->tot_pages);

    /* Built again (same id) on a reboot it is allowed, once its frames are all
     * back: a frame still referenced keeps the id. */
    bool want = !d->crashed && d->shutdown_code == SHUTDOWN_reboot && d->cfg_index >= 0 &&
                d->restarts_done < d->restarts_allowed;
    bool restart = want && READ_ONCE(d->tot_pages) == 0;
    if (want && !restart)
        printk("Tern: domain %u (%s) not restarted: frames still referenced\n", d->domain_id,
               d->name);
    int cfg_index = d->cfg_index;
    domid_t id = d->domain_id;
    u64 next = d->restarts_done + 1, allowed = d->restarts_allowed;
    u64 f = spin_lock_irqsave(&domlist_lock);
    nr_alive--;
    if (restart)
        nr_restarting++;
    bool all_gone = nr_alive == 0 && nr_restarting == 0;
    spin_unlock_irqrestore(&domlist_lock, f);
    if (READ_ONCE(d->tot_pages) == 0)
        domain_release(d);              /* d may be gone from here on */
    if (restart)
        domain_request_restart(cfg_index, id, next, allowed);
    if (all_gone)
        all_domains_ended();
}
