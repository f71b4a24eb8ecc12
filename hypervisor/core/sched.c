/*
 * sched.c - proportional-share scheduling of vCPUs on physical CPUs.
 *
 * Every vCPU lives on one physical CPU (vcpu->processor, chosen at creation
 * within its domain's affinity, the least loaded first) and never leaves it:
 * a pinned vCPU cannot run elsewhere.  Each CPU keeps a run queue of its
 * runnable vCPUs and runs the one with the smallest virtual runtime; running
 * for t ns adds t * 256 / weight to it, so CPU-bound vCPUs on one CPU share it
 * in proportion to their domains' weights.  A vCPU that wakes up does not
 * come back with a debt or credit older than one time slice, and preempts
 * the running one if it is behind it by more than 1 ms of virtual runtime.
 * A time slice (10 ms) preempts only when someone else is waiting.  A capped domain gets at
 * most cap% of one CPU per 100 ms period: past its budget its vCPUs are held
 * (VPF_CAPPED) until the period ends.
 *
 * Invariants: a vCPU is on at most one run queue, that of v->processor, and
 * only while runnable and not running; is_running is set on exactly one CPU.
 * schedule() runs only from the SCHEDULE softirq, on the way back to a guest
 * or in the idle loop, so a switch never happens in the middle of a
 * hypercall: the new vCPU's frame replaces the old one at the top of the
 * CPU's stack (pv_context_switch) and the CPU goes on from a fresh stack.
 */
#include "sched.h"
#include "domain.h"
#include "heap.h"
#include "lib.h"
#include "panic.h"
#include "percpu.h"
#include "softirq.h"
#include "time.h"
#include "guest_access.h"
#include "arch/pv.h"
#include "arch/smp.h"

#define WEIGHT_BASE     256
#define CAP_PERIOD_NS   100000000ll

struct runq {
    spinlock_t lock;
    struct vcpu *head;                  /* unordered; the minimum is found by a scan */
    unsigned int nr_queued;
    unsigned int nr_assigned;           /* vCPUs placed on this CPU (placement) */
    struct vcpu *idle;
    s64 min_vruntime;
    struct timer slice;
};

static struct runq runqs[NR_CPUS];

struct vcpu *idle_vcpu_of(unsigned int cpu)
{
    return runqs[cpu].idle;
}

bool vcpu_runnable(const struct vcpu *v)
{
    return v->pause_flags == 0 && v->domain && v->domain->state == DOM_RUNNING;
}

static void slice_expired(void *data)
{
    (void)data;
    softirq_raise(SOFTIRQ_SCHEDULE);
}

void sched_init_cpu(unsigned int cpu)
{
    struct runq *rq = &runqs[cpu];
    spin_lock_init(&rq->lock);
    rq->idle = xzalloc(sizeof(struct vcpu));
    if (!rq->idle)
        panic("no memory for the idle vCPU of CPU %u", cpu);
    rq->idle->processor = cpu;
    rq->idle->is_running = true;
    timer_init(&rq->slice, slice_expired, NULL, cpu);
    get_cpu_info_of(cpu)->curr_vcpu = rq->idle;
}

void sched_init(void)
{
    softirq_register(SOFTIRQ_SCHEDULE, schedule);
    softirq_register(SOFTIRQ_NMI, pv_deliver_nmi);
}

unsigned int sched_place_vcpu(u64 affinity)
{
    unsigned int best = NR_CPUS;
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        if (!percpu_area[cpu] || !runqs[cpu].idle || (affinity && !(affinity & (1ull << cpu))))
            continue;
        if (best == NR_CPUS || runqs[cpu].nr_assigned < runqs[best].nr_assigned)
            best = cpu;
    }
    if (best != NR_CPUS)
        runqs[best].nr_assigned++;
    return best;
}

/* ---- the run queue (lock held) ---- */

static void runq_insert(struct runq *rq, struct vcpu *v)
{
    if (v->on_runq)
        return;
    v->runq_next = rq->head;
    rq->head = v;
    v->on_runq = true;
    rq->nr_queued++;
}

static void runq_remove(struct runq *rq, struct vcpu *v)
{
    if (!v->on_runq)
        return;
    for (struct vcpu **pp = &rq->head; *pp; pp = &(*pp)->runq_next) {
        if (*pp == v) {
            *pp = v->runq_next;
            break;
        }
    }
    v->on_runq = false;
    v->runq_next = NULL;
    rq->nr_queued--;
}

/* The queued vCPU with the least virtual runtime, taken off the queue. */
static struct vcpu *runq_pick(struct runq *rq)
{
    struct vcpu *best = NULL;
    for (struct vcpu *v = rq->head; v; v = v->runq_next)
        if (!best || v->vruntime < best->vruntime)
            best = v;
    if (best)
        runq_remove(rq, best);
    return best;
}

/* ---- accounting ---- */

void vcpu_runstate_change(struct vcpu *v, int s, stime_t t)
{
    struct vcpu_runstate_info *r = &v->runstate;
    if (r->state == s)
        return;
    stime_t delta = t - (stime_t)r->state_entry_time;
    if (delta > 0 && r->state >= 0 && r->state < 4)
        r->time[r->state] += (u64)delta;
    r->state = s;
    r->state_entry_time = (u64)t;
}

static void cap_refill(void *data)
{
    struct domain *d = data;
    u64 f = spin_lock_irqsave(&d->cap_lock);
    d->cap_used = 0;
    d->cap_period_end += CAP_PERIOD_NS;
    if (d->cap_period_end < now())
        d->cap_period_end = now() + CAP_PERIOD_NS;
    spin_unlock_irqrestore(&d->cap_lock, f);
    if (d->state == DOM_RUNNING)
        timer_set(&d->cap_timer, d->cap_period_end);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i]->pause_flags & VPF_CAPPED)
            vcpu_pause_flag_clear(d->vcpu[i], VPF_CAPPED);
}

void sched_domain_init(struct domain *d, u32 weight, u32 cap)
{
    d->weight = weight ? weight : WEIGHT_BASE;
    d->cap = cap;
    spin_lock_init(&d->cap_lock);
    timer_init(&d->cap_timer, cap_refill, d, 0);
    if (cap) {
        d->cap_period_end = now() + CAP_PERIOD_NS;
        timer_set(&d->cap_timer, d->cap_period_end);
    }
}

/* Charge v for running delta ns; true if its domain has used up its cap. */
static bool charge(struct vcpu *v, stime_t delta)
{
    if (delta <= 0)
        return false;
    struct domain *d = v->domain;
    v->vruntime += delta * WEIGHT_BASE / d->weight;
    if (!d->cap)
        return false;
    u64 f = spin_lock_irqsave(&d->cap_lock);
    d->cap_used += delta;
    bool over = d->cap_used >= CAP_PERIOD_NS * (s64)d->cap / 100;
    spin_unlock_irqrestore(&d->cap_lock, f);
    return over;
}

/* Budget left in this period for a capped domain (ns). */
static stime_t cap_left(const struct domain *d)
{
    s64 left = CAP_PERIOD_NS * (s64)d->cap / 100 - d->cap_used;
    return left > 0 ? left : 0;
}

/* ---- waking and sleeping ---- */

/* A vCPU that wakes behind the running one by more than WAKE_GRANULARITY_NS
 * of virtual runtime (it slept: it has a slice of credit at most) runs at
 * once: a neighbour that blocks and wakes often is not made to wait a whole
 * slice each time, so a spinning domain cannot keep it from its share. */
#define WAKE_GRANULARITY_NS 1000000

static bool wake_preempts(const struct vcpu *v, const struct vcpu *curr)
{
    s64 ran = now() - curr->ran_since;
    s64 curr_vr = curr->vruntime + (ran > 0 ? ran * WEIGHT_BASE / curr->domain->weight : 0);
    return v->vruntime + WAKE_GRANULARITY_NS < curr_vr;
}

void vcpu_wake(struct vcpu *v)
{
    struct runq *rq = &runqs[v->processor];
    u64 f = spin_lock_irqsave(&rq->lock);
    bool kick = false, busy = false;
    if (vcpu_runnable(v) && !v->is_running && !v->on_runq) {
        vcpu_runstate_change(v, RUNSTATE_runnable, now());
        /* No credit or debt older than a slice. */
        s64 floor = rq->min_vruntime - SCHED_SLICE_NS;
        if (v->vruntime < floor)
            v->vruntime = floor;
        runq_insert(rq, v);
        struct vcpu *curr = get_cpu_info_of(v->processor)->curr_vcpu;
        kick = is_idle_vcpu(curr) || wake_preempts(v, curr);
        busy = !kick && !rq->slice.active;
    } else if (!vcpu_runnable(v) && !v->is_running && v->runstate.state == RUNSTATE_blocked &&
               (v->pause_flags & (VPF_DOWN | VPF_DYING)) && !(v->pause_flags & VPF_BLOCKED)) {
        /* Its block ended (an event) while it is down: now it is offline (Xen). */
        vcpu_runstate_change(v, RUNSTATE_offline, now());
    }
    spin_unlock_irqrestore(&rq->lock, f);
    if (kick)
        softirq_raise_on(v->processor, SOFTIRQ_SCHEDULE);
    else if (busy)
        timer_set(&rq->slice, now() + SCHED_SLICE_NS);     /* now there is someone waiting */
}

void vcpu_sleep(struct vcpu *v)
{
    struct runq *rq = &runqs[v->processor];
    u64 f = spin_lock_irqsave(&rq->lock);
    runq_remove(rq, v);
    bool running = v->is_running;
    /* A blocked vCPU taken down stays blocked until its block ends (Xen:
     * only a runnable one turns offline at once); vcpu_wake does the rest. */
    if (!running && !(v->runstate.state == RUNSTATE_blocked && (v->pause_flags & VPF_BLOCKED)))
        vcpu_runstate_change(v, v->pause_flags & (VPF_DOWN | VPF_DYING) ? RUNSTATE_offline
                                                                       : RUNSTATE_blocked, now());
    spin_unlock_irqrestore(&rq->lock, f);
    if (running)
        softirq_raise_on(v->processor, SOFTIRQ_SCHEDULE);
}

void vcpu_pause_flag_set(struct vcpu *v, u32 flag)
{
    __atomic_fetch_or(&v->pause_flags, flag, __ATOMIC_SEQ_CST);
    vcpu_sleep(v);
}

void vcpu_pause_flag_clear(struct vcpu *v, u32 flag)
{
    __atomic_fetch_and(&v->pause_flags, ~flag, __ATOMIC_SEQ_CST);
    vcpu_wake(v);
}

/* SCHEDOP_yield: nothing to do when nobody else waits on this CPU. */
void sched_yield_current(void)
{
    struct runq *rq = &runqs[smp_processor_id()];
    if (!READ_ONCE(rq->nr_queued))
        return;
    current->yielded = true;
    softirq_raise(SOFTIRQ_SCHEDULE);
}

void sched_start_vcpu(struct vcpu *v)
{
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = (u64)now();
    v->vruntime = runqs[v->processor].min_vruntime;
    vcpu_pause_flag_clear(v, VPF_DOWN);
}

void update_vcpu_system_time(struct vcpu *v)
{
    struct vcpu_time_info *t = &v->vcpu_info->time;
    u64 tsc = arch_rdtsc();
    t->version++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->tsc_timestamp = tsc;
    t->system_time = (u64)scale_delta(tsc - tsc_at_boot, tsc_scale);
    t->tsc_to_system_mul = tsc_scale.mul;
    t->tsc_shift = tsc_scale.shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->version++;
    /* The registered copy (vDSO): written through the guest's own mappings,
     * so only while its page tables are loaded (its own vCPU, running). */
    if (v->time_area && v == current)
        (void)copy_to_guest(v->time_area, t, sizeof(*t));
}

/* ---- the decision ---- */

void schedule(void)
{
    unsigned int cpu = smp_processor_id();
    struct runq *rq = &runqs[cpu];
    struct vcpu *prev = current, *next;
    stime_t t = now();

    bool over_cap = !is_idle_vcpu(prev) && charge(prev, t - prev->ran_since);
    if (over_cap)
        __atomic_fetch_or(&prev->pause_flags, VPF_CAPPED, __ATOMIC_SEQ_CST);

    u64 f = spin_lock_irqsave(&rq->lock);
    bool prev_runnable = !is_idle_vcpu(prev) && vcpu_runnable(prev);
    if (prev_runnable)
        runq_insert(rq, prev);
    if (prev_runnable && prev->yielded && rq->nr_queued > 1) {
        runq_remove(rq, prev);                  /* yield: anyone else first */
        next = runq_pick(rq);
        runq_insert(rq, prev);
    } else {
        next = runq_pick(rq);
    }
    if (!is_idle_vcpu(prev))
        prev->yielded = false;
    if (!next)
        next = rq->idle;
    if (!is_idle_vcpu(next) && next->vruntime > rq->min_vruntime)
        rq->min_vruntime = next->vruntime;
    bool contended = rq->nr_queued != 0;
    stime_t slice = SCHED_SLICE_NS;
    if (!is_idle_vcpu(next) && next->domain->cap) {
        stime_t left = cap_left(next->domain);
        if (left < slice)
            slice = left + 1;
        contended = true;                       /* a cap needs the timer even alone */
    }
    if (!is_idle_vcpu(next))
        next->ran_since = t;

    if (next == prev) {
        spin_unlock_irqrestore(&rq->lock, f);
        if (contended)
            timer_set(&rq->slice, t + slice);
        else
            timer_stop(&rq->slice);
        return;
    }
    if (!is_idle_vcpu(prev))
        vcpu_runstate_change(prev, prev_runnable ? RUNSTATE_runnable :
                             (prev->pause_flags & (VPF_DOWN | VPF_DYING)) ? RUNSTATE_offline
                                                                            : RUNSTATE_blocked, t);
    if (!is_idle_vcpu(next)) {
        vcpu_runstate_change(next, RUNSTATE_running, t);
        next->stats.pcpus |= 1ull << cpu;
    }
    next->is_running = true;
    spin_unlock_irqrestore(&rq->lock, f);

    if (!is_idle_vcpu(prev))
        vcpu_periodic_suspend(prev);
    local_irq_disable();
    pv_context_switch(prev, next);
    __atomic_store_n(&prev->is_running, false, __ATOMIC_SEQ_CST);
    /* A wakeup after prev_runnable was computed above found prev still
     * running and left it to us: queue it now. */
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        vcpu_wake(prev);
    if (!is_idle_vcpu(prev)) {
        prev->stats.domain_switches++;
        if (prev->domain->state != DOM_RUNNING)
            domain_maybe_destroy(prev->domain);
    }
    if (is_idle_vcpu(next)) {
        timer_stop(&rq->slice);
        reset_stack_and_call(get_cpu_info(), cpu_idle_loop);
    }
    if (next->poll_active) {
        next->poll_active = false;
        timer_stop(&next->poll_timeout);
    }
    update_vcpu_system_time(next);
    vcpu_update_runstate_area(next);
    vcpu_periodic_resume(next);
    if (next->arch.nmi_pending)
        softirq_raise(SOFTIRQ_NMI);
    if (contended)
        timer_set(&rq->slice, t + slice);
    else
        timer_stop(&rq->slice);
    reset_stack_and_return_to_guest(&get_cpu_info()->guest_regs);
}
