/*
 * sched.c - per-CPU round-robin scheduling with time slices.
 *
 * Invariants: a vCPU is on at most one run queue, that of v->processor, and
 * only while runnable and not running; is_running is set on exactly one CPU
 * (the one whose current it is).  schedule() runs only from the SCHEDULE
 * softirq, on the way back to a guest or in the idle loop, so a switch never
 * happens in the middle of a hypercall: the new vCPU's frame replaces the
 * old one at the top of the CPU's stack (pv_context_switch) and the CPU goes
 * on from a fresh stack.
 */
#include "sched.h"
#include "domain.h"
#include "heap.h"
#include "lib.h"
#include "panic.h"
#include "percpu.h"
#include "softirq.h"
#include "time.h"
#include "arch/pv.h"
#include "arch/smp.h"

struct runq {
    spinlock_t lock;
    struct vcpu *head, *tail;
    struct vcpu *idle;
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
}

/* Runq lock held. */
static void runq_insert(struct runq *rq, struct vcpu *v)
{
    if (v->on_runq)
        return;
    v->runq_next = NULL;
    if (rq->tail)
        rq->tail->runq_next = v;
    else
        rq->head = v;
    rq->tail = v;
    v->on_runq = true;
}

static struct vcpu *runq_pop(struct runq *rq)
{
    struct vcpu *v = rq->head;
    if (!v)
        return NULL;
    rq->head = v->runq_next;
    if (!rq->head)
        rq->tail = NULL;
    v->on_runq = false;
    v->runq_next = NULL;
    return v;
}

static void runq_remove(struct runq *rq, struct vcpu *v)
{
    if (!v->on_runq)
        return;
    struct vcpu **pp = &rq->head, *prev = NULL;
    while (*pp && *pp != v) {
        prev = *pp;
        pp = &(*pp)->runq_next;
    }
    if (*pp) {
        *pp = v->runq_next;
        if (rq->tail == v)
            rq->tail = prev;
    }
    v->on_runq = false;
    v->runq_next = NULL;
}

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

void vcpu_wake(struct vcpu *v)
{
    struct runq *rq = &runqs[v->processor];
    u64 f = spin_lock_irqsave(&rq->lock);
    bool kick = false;
    bool busy = false;
    if (vcpu_runnable(v) && !v->is_running && !v->on_runq) {
        vcpu_runstate_change(v, RUNSTATE_runnable, now());
        runq_insert(rq, v);
        kick = is_idle_vcpu(get_cpu_info_of(v->processor)->curr_vcpu);
        busy = !kick && !rq->slice.active;
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
    if (!running)
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

void sched_yield_current(void)
{
    softirq_raise(SOFTIRQ_SCHEDULE);
}

void sched_start_vcpu(struct vcpu *v)
{
    v->runstate.state = RUNSTATE_offline;
    v->runstate.state_entry_time = (u64)now();
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
}

void schedule(void)
{
    unsigned int cpu = smp_processor_id();
    struct runq *rq = &runqs[cpu];
    struct vcpu *prev = current, *next;
    stime_t t = now();

    u64 f = spin_lock_irqsave(&rq->lock);
    if (!is_idle_vcpu(prev) && vcpu_runnable(prev))
        runq_insert(rq, prev);
    next = runq_pop(rq);
    if (!next)
        next = rq->idle;
    bool contended = rq->head != NULL;
    if (next == prev) {
        spin_unlock_irqrestore(&rq->lock, f);
        /* A time slice only matters when someone else is waiting. */
        if (contended)
            timer_set(&rq->slice, t + SCHED_SLICE_NS);
        else
            timer_stop(&rq->slice);
        return;
    }
    if (!is_idle_vcpu(prev))
        vcpu_runstate_change(prev, vcpu_runnable(prev) ? RUNSTATE_runnable :
                             (prev->pause_flags & (VPF_DOWN | VPF_DYING)) ? RUNSTATE_offline
                                                                            : RUNSTATE_blocked, t);
    if (!is_idle_vcpu(next))
        vcpu_runstate_change(next, RUNSTATE_running, t);
    next->is_running = true;
    spin_unlock_irqrestore(&rq->lock, f);

    local_irq_disable();
    pv_context_switch(prev, next);
    prev->is_running = false;
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
    if (contended)
        timer_set(&rq->slice, t + SCHED_SLICE_NS);
    else
        timer_stop(&rq->slice);
    reset_stack_and_return_to_guest(&get_cpu_info()->guest_regs);
}
