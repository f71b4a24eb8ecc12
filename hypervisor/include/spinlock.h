/*
 * spinlock.h - ticket spinlocks (fair, FIFO between CPUs).
 *
 * Built on compiler atomics only, so host unit tests use the same code.
 * spin_lock_irqsave() is the form to use for anything an interrupt handler
 * may also take.
 */
#ifndef TERN_SPINLOCK_H
#define TERN_SPINLOCK_H

#include "types.h"
#include "arch/irqflags.h"

typedef struct {
    u16 head;       /* ticket being served */
    u16 tail;       /* next ticket to hand out */
} spinlock_t;

#define SPIN_LOCK_UNLOCKED { 0, 0 }
#define DEFINE_SPINLOCK(l) spinlock_t l = SPIN_LOCK_UNLOCKED

static inline void spin_lock_init(spinlock_t *l)
{
    l->head = l->tail = 0;
}

static inline void spin_lock(spinlock_t *l)
{
    u16 me = __atomic_fetch_add(&l->tail, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->head, __ATOMIC_ACQUIRE) != me)
        arch_cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
    u16 head = __atomic_load_n(&l->head, __ATOMIC_RELAXED);
    u16 expect = head;
    /* Free when tail == head: take a ticket only then. */
    return __atomic_compare_exchange_n(&l->tail, &expect, (u16)(head + 1), false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->head, (u16)(l->head + 1), __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *l)
{
    return __atomic_load_n(&l->head, __ATOMIC_RELAXED) !=
           __atomic_load_n(&l->tail, __ATOMIC_RELAXED);
}

static inline u64 spin_lock_irqsave(spinlock_t *l)
{
    u64 flags = arch_irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, u64 flags)
{
    spin_unlock(l);
    arch_irq_restore(flags);
}

#endif
