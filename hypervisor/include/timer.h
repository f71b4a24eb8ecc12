/*
 * timer.h - one-shot software timers, per physical CPU.
 *
 * A timer belongs to one CPU (timer_init) and fires there: its function runs
 * from the timer softirq with interrupts enabled, never before its deadline.
 * The CPU's hardware timer is always programmed for the earliest deadline.
 */
#ifndef TERN_TIMER_H
#define TERN_TIMER_H

#include "types.h"
#include "spinlock.h"

struct timer {
    stime_t expires;
    void (*fn)(void *data);
    void *data;
    unsigned int cpu;
    bool active;
    bool killed;                    /* timer_kill: never set again */
    struct timer *next;
};

struct timer_queue {
    spinlock_t lock;
    struct timer *head;             /* sorted by expires */
    struct timer *running;          /* whose function runs right now */
};

void timer_init(struct timer *t, void (*fn)(void *), void *data, unsigned int cpu);
void timer_set(struct timer *t, stime_t expires);
void timer_stop(struct timer *t);
/* Stop t for good: later timer_sets are ignored, and once it returns t's
 * function is not running anywhere (unless the caller is that function), so
 * what it uses may be freed. */
void timer_kill(struct timer *t);
/* Run this CPU's expired timers and reprogram the hardware (softirq). */
void timer_run_expired(void);
/* Arch: program this CPU's hardware timer for `deadline` (system time), or cancel (0). */
void arch_timer_program(stime_t deadline);

#endif
