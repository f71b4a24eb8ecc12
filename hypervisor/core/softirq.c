/*
 * softirq.c - per-CPU pending bits and their handlers.
 */
#include "softirq.h"
#include "percpu.h"
#include "arch/irqflags.h"
#include "ipi.h"

static void (*handlers[NR_SOFTIRQS])(void);
static unsigned long pending[NR_CPUS];

void softirq_register(unsigned int nr, void (*fn)(void))
{
    handlers[nr] = fn;
}

void softirq_raise(unsigned int nr)
{
    __atomic_fetch_or(&pending[smp_processor_id()], 1ul << nr, __ATOMIC_SEQ_CST);
}

void softirq_raise_on(unsigned int cpu, unsigned int nr)
{
    unsigned long old = __atomic_fetch_or(&pending[cpu], 1ul << nr, __ATOMIC_SEQ_CST);
    if (cpu != smp_processor_id() && !(old & (1ul << nr)))
        ipi_kick(cpu);
}

bool softirq_pending(void)
{
    return __atomic_load_n(&pending[smp_processor_id()], __ATOMIC_RELAXED) != 0;
}

void softirq_run(void)
{
    unsigned int cpu = smp_processor_id();
    unsigned long bits;
    while ((bits = __atomic_exchange_n(&pending[cpu], 0, __ATOMIC_SEQ_CST)) != 0) {
        u64 f = arch_irq_save();
        arch_irq_enable();
        for (unsigned int nr = 0; nr < NR_SOFTIRQS; nr++)
            if ((bits & (1ul << nr)) && handlers[nr])
                handlers[nr]();
        arch_irq_restore(f);
    }
}
