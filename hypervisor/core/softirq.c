/*
 * softirq.c - per-CPU pending bits and their handlers.
 */
#include "softirq.h"
#include "percpu.h"
#include "arch/irqflags.h"
#include "ipi.h"

static void (*handlers[NR_SOFTIRQS])(void);

/* The pending bits live in each CPU's cpu_info, where the exit path looks. */
static unsigned long *pending_of(unsigned int cpu)
{
    return &get_cpu_info_of(cpu)->softirq_pending;
}

void softirq_register(unsigned int nr, void (*fn)(void))
{
    handlers[nr] = fn;
}

void softirq_raise(unsigned int nr)
{
    __atomic_fetch_or(&get_cpu_info()->softirq_pending, 1ul << nr, __ATOMIC_SEQ_CST);
}

void softirq_raise_on(unsigned int cpu, unsigned int nr)
{
    unsigned long old = __atomic_fetch_or(pending_of(cpu), 1ul << nr, __ATOMIC_SEQ_CST);
    if (cpu != smp_processor_id() && !(old & (1ul << nr)))
        ipi_kick(cpu);
}

bool softirq_pending(void)
{
    return __atomic_load_n(&get_cpu_info()->softirq_pending, __ATOMIC_RELAXED) != 0;
}

/* One softirq at a time, lowest first: a handler may switch stacks and never
 * return (schedule), and whatever else is pending stays pending. */
void softirq_run(void)
{
    unsigned long *p = &get_cpu_info()->softirq_pending;
    unsigned long bits;
    while ((bits = __atomic_load_n(p, __ATOMIC_SEQ_CST)) != 0) {
        unsigned int nr = (unsigned int)__builtin_ctzl(bits);
        __atomic_fetch_and(p, ~(1ul << nr), __ATOMIC_SEQ_CST);
        u64 f = arch_irq_save();
        arch_irq_enable();
        if (nr < NR_SOFTIRQS && handlers[nr])
            handlers[nr]();
        arch_irq_restore(f);
    }
}
