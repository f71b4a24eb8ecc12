/* ipi.h - inter-processor interrupts between physical CPUs (arch/x86_64/smp.c). */
#ifndef TERN_IPI_H
#define TERN_IPI_H

/* Make `cpu` look at its softirqs (wakes it from halt). */
void ipi_kick(unsigned int cpu);
/* Run fn(data) on `cpu` and wait until it has run. */
void ipi_call(unsigned int cpu, void (*fn)(void *), void *data);

#endif
