/*
 * domain.h - domains and their virtual CPUs.
 *
 * A domain owns frames (page_list, every one PGS_DOMAIN with owner = its id),
 * a shared_info page, a console, event channels and vCPUs.  Its life:
 * BUILDING (domain builder) -> RUNNING -> SHUTDOWN (SCHEDOP_shutdown, or
 * crashed by the hypervisor) -> DEAD once no vCPU of it runs anywhere and its
 * memory is back with the allocator (domain_destroy).
 *
 * The vCPU running on a physical CPU is current (cpu_info.current); the idle
 * vCPU of each CPU belongs to no domain.
 */
#ifndef TERN_DOMAIN_H
#define TERN_DOMAIN_H

#include "types.h"
#include "page.h"
#include "spinlock.h"
#include "timer.h"
#include "xen_abi.h"
#include "config.h"
#include "arch/domain.h"
#include "arch/percpu.h"

#define MAX_DOMAINS     64
#define MAX_VIRT_CPUS   CFG_MAX_VCPUS

enum domain_state { DOM_BUILDING, DOM_RUNNING, DOM_SHUTDOWN, DOM_DEAD };

/* Why a vCPU cannot run (pause_flags). */
#define VPF_BLOCKED     (1u << 0)       /* SCHEDOP_block / poll */
#define VPF_DOWN        (1u << 1)       /* not brought up, or VCPUOP_down */
#define VPF_DYING       (1u << 2)       /* its domain has ended */
#define VPF_CAPPED      (1u << 3)       /* its domain used up its cap for this period */

/* Per-vCPU counters the benchmarks read (entries into the hypervisor by cause). */
struct vcpu_stats {
    u64 hypercalls;
    u64 exceptions;
    u64 interrupts;
    u64 syscall_bounces;
    u64 as_switches;
    u64 domain_switches;
    u64 ipis;
    u64 pcpus;                          /* bit n: it has run on physical CPU n */
};
_Static_assert(NR_CPUS <= 64, "stats.pcpus and dirty_cpus are 64-bit CPU masks");

struct domain;

struct vcpu {
    unsigned int vcpu_id;
    struct domain *domain;
    unsigned int processor;             /* the physical CPU it runs on */
    struct arch_vcpu arch;

    struct vcpu_info *vcpu_info;        /* in shared_info, or registered */
    u64 vcpu_info_mfn;                  /* registered page (0 = in shared_info) */

    /* Scheduling. */
    volatile u32 pause_flags;
    bool is_initialised;                /* has a register state (builder, VCPUOP_initialise) */
    volatile bool is_running;
    bool on_runq;
    struct vcpu *runq_next;
    s64 vruntime;                       /* weighted ns run (sched.c) */
    stime_t ran_since;
    bool yielded;
    u64 runstate_area;                  /* guest VA of its vcpu_runstate_info, 0 = none */
    u64 time_area;                      /* guest VA of a vcpu_time_info copy, 0 = none */
    struct vcpu_runstate_info runstate;

    volatile bool poll_active;          /* in SCHEDOP_poll */
    struct timer poll_timeout;
    struct timer singleshot;            /* VCPUOP_set_singleshot_timer / set_timer_op */
    struct timer periodic;              /* runs only while the vCPU does (Xen) */
    spinlock_t periodic_lock;
    stime_t periodic_period;            /* 0 = off; 10 ms from creation, as Xen */
    stime_t periodic_last;              /* when the last periodic tick was sent */

    struct vcpu_stats stats;
};

struct dom_console {
    spinlock_t lock;                    /* ring_mfn's validity, the input ring */
    u64 ring_mfn;                       /* domU: the xencons ring page; 0 = none */
    unsigned int port;                  /* its event channel */
    char in[256];                       /* input for console_io's read (initial domain) */
    unsigned int in_prod, in_cons;
    char line[1024];                    /* output being assembled into a line */
    unsigned int line_len;
    char tail[2048];                    /* last output, kept for crash reports */
    unsigned int tail_pos;
};

struct domain {
    domid_t domain_id;
    char name[CFG_NAME_MAX];
    bool is_privileged;                 /* role = initial: SIF_INITDOMAIN, console_io, XENFEAT_dom0 */
    volatile enum domain_state state;
    unsigned int shutdown_code;         /* SHUTDOWN_* */
    bool crashed;                       /* ended by the hypervisor (domain_crash) */
    bool destroying;
    u32 refcnt;                         /* 1 until dead with no frames, plus get_domain()s */
    bool released;                      /* that first reference dropped, its id free */
    int cfg_index;                      /* its [domain] in the system config, -1 = none */
    u64 restarts_done, restarts_allowed;

    spinlock_t page_lock;               /* page_list, tot_pages */
    spinlock_t mm_lock;                 /* page-table validation of its frames */
    struct page_list page_list;
    u64 dirty_cpus;                     /* CPUs that have run its vCPUs (TLB shootdowns) */
    u64 tot_pages, max_pages;

    unsigned int max_vcpus;
    struct vcpu *vcpu[MAX_VIRT_CPUS];

    struct shared_info *shared_info;
    u64 shared_info_mfn;

    /* Scheduling (sched.c). */
    u32 weight, cap;
    u64 affinity;                       /* bit n: may run on CPU n; 0 = any */
    spinlock_t cap_lock;
    s64 cap_used;
    stime_t cap_period_end;
    struct timer cap_timer;

    struct dom_console console;
    struct evtchn_domain *evtchn;
#define NR_WATCHDOGS 2
    spinlock_t watchdog_lock;
    u32 watchdog_inuse;
    struct timer watchdog[NR_WATCHDOGS];
    struct arch_domain arch;
};

extern struct domain *domain_table[MAX_DOMAINS];

static inline struct vcpu *current_vcpu(void) { return get_cpu_info()->curr_vcpu; }
#define current current_vcpu()
static inline bool is_idle_vcpu(const struct vcpu *v) { return v->domain == NULL; }

struct sched_params {
    u32 weight, cap;                    /* 0 = defaults (256, no cap) */
    u64 affinity;                       /* 0 = any CPU */
};

struct domain *domain_create(domid_t id, const char *name, bool privileged,
                             u64 max_pages, unsigned int nr_vcpus, const struct sched_params *sp);
/* A live domain by id, with a reference (put_domain when done); NULL if none.
 * A domain's structure is freed when it is dead and its last reference goes. */
struct domain *get_domain_by_id(domid_t id);
void get_domain(struct domain *d);
void put_domain(struct domain *d);
/* The domain ends: reason is a SHUTDOWN_* code. */
void domain_shutdown(struct domain *d, unsigned int reason);
/* The hypervisor ends a misbehaving domain (never the hypervisor). */
void domain_crash(struct domain *d, const char *fmt, ...) __printf(2, 3);
/* main.c: build the domain of [domain] number cfg_index of the system config
 * again, with id id, for the restarts_done'th time of restarts_allowed. */
void domain_request_restart(int cfg_index, domid_t id, u64 restarts_done, u64 restarts_allowed);
/* The restart main.c was asked for is over; built: the domain runs again. */
void domain_restart_done(bool built);
/* A dead domain has no frames left: free its id (pv_free_domain_page). */
void domain_release(struct domain *d);

/* Undo domain_create for a domain that never ran (a failed build). */
void domain_destroy_unstarted(struct domain *d);
/* Called when a dying domain's last vCPU has left its CPU. */
void domain_maybe_destroy(struct domain *d);
unsigned int domains_alive(void);
/* dump.c: every domain's and vCPU's state on the console; the stall watch. */
void dump_domains(void);
void stall_dump_init(unsigned int seconds);

/* Per-vCPU timers (time.c, core): singleshot and periodic. */
void vcpu_timers_init(struct vcpu *v);
void vcpu_timers_stop(struct vcpu *v);
/* The periodic timer: a new period (0 stops it); the vCPU starts running on
 * this CPU (an overdue tick is sent at once); it stops running. */
void vcpu_set_periodic(struct vcpu *v, stime_t period);
void vcpu_periodic_resume(struct vcpu *v);
void vcpu_periodic_suspend(struct vcpu *v);
void domain_watchdogs_init(struct domain *d);
long domain_watchdog(struct domain *d, u32 id, u32 timeout);
/* Console output of a domain (console.c). */
void console_flush_domain(struct domain *d);
void console_dump_tail(struct domain *d);
/* Console input (domcons.c): serial input to the domain with focus; the
 * domain's console ring is no longer to be touched (teardown). */
void console_input_init(void);
void console_detach(struct domain *d);
/* Arch: drop what a vCPU holds (page tables, GDT); load a guest context. */
void pv_vcpu_destroy(struct vcpu *v);
void pv_fpu_forget(struct vcpu *v);
long pv_vcpu_initialise(struct vcpu *v, u64 guest_ctx);

/* Give frames to / take them from a domain (PGS_DOMAIN, owner). */
int domain_assign_page(struct domain *d, struct page_info *pg);
void domain_relinquish_memory(struct domain *d);

#endif
