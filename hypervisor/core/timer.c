/*
 * timer.c - per-CPU timer queues.
 *
 * Each CPU's queue is a list sorted by deadline under its lock; a timer set
 * from another CPU is queued on its owner, whose hardware timer is
 * reprogrammed through an IPI when it became the earliest.  The timer
 * interrupt only raises the softirq; timer_run_expired() calls the functions
 * of every expired timer with the lock dropped.
 */
#include "timer.h"
#include "percpu.h"
#include "softirq.h"
#include "time.h"

void timer_init(struct timer *t, void (*fn)(void *), void *data, unsigned int cpu)
{
    t->expires = 0;
    t->fn = fn;
    t->data = data;
    t->cpu = cpu;
    t->active = false;
    t->killed = false;
    t->next = NULL;
}

static void dequeue(struct timer_queue *q, struct timer *t)
{
    for (struct timer **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->active = false;
}

void timer_set(struct timer *t, stime_t expires)
{
    struct timer_queue *q = &percpu_area[t->cpu]->timers;
    if (expires < 1)
        expires = 1;                    /* long past: due now (0 means none below) */
    u64 f = spin_lock_irqsave(&q->lock);
    if (t->killed) {
        spin_unlock_irqrestore(&q->lock, f);
        return;
    }
    if (t->active)
        dequeue(q, t);
    t->expires = expires;
    struct timer **pp = &q->head;
    while (*pp && (*pp)->expires <= expires)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->active = true;
    bool first = q->head == t;
    spin_unlock_irqrestore(&q->lock, f);

    if (first) {
        if (t->cpu == smp_processor_id())
            arch_timer_program(expires);
        else
            softirq_raise_on(t->cpu, SOFTIRQ_TIMER);
    }
}

void timer_stop(struct timer *t)
{
    struct timer_queue *q = &percpu_area[t->cpu]->timers;
    /* Not queued: nothing to do (a timer_set racing with this one is
     * ordered after it, as it would be after the locked check). */
    if (!__atomic_load_n(&t->active, __ATOMIC_ACQUIRE))
        return;
    u64 f = spin_lock_irqsave(&q->lock);
    if (t->active)
        dequeue(q, t);
    spin_unlock_irqrestore(&q->lock, f);
}

void timer_kill(struct timer *t)
{
    struct timer_queue *q = &percpu_area[t->cpu]->timers;
    u64 f = spin_lock_irqsave(&q->lock);
    t->killed = true;
    if (t->active)
        dequeue(q, t);
    spin_unlock_irqrestore(&q->lock, f);
    if (t->cpu != smp_processor_id())
        while (__atomic_load_n(&q->running, __ATOMIC_ACQUIRE) == t)
            arch_cpu_relax();
}

void timer_run_expired(void)
{
    struct timer_queue *q = &this_cpu()->timers;
    u64 f = spin_lock_irqsave(&q->lock);
    for (;;) {
        struct timer *t = q->head;
        if (!t || t->expires > now())
            break;
        dequeue(q, t);
        __atomic_store_n(&q->running, t, __ATOMIC_RELEASE);
        spin_unlock_irqrestore(&q->lock, f);
        t->fn(t->data);
        f = spin_lock_irqsave(&q->lock);
        __atomic_store_n(&q->running, NULL, __ATOMIC_RELEASE);
    }
    arch_timer_program(q->head ? q->head->expires : 0);
    spin_unlock_irqrestore(&q->lock, f);
}
