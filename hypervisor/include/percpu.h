/*
 * percpu.h - per physical CPU state, generic part.
 *
 * percpu_area[i] is CPU i's area, allocated by smp.c (CPU 0's statically).
 * this_cpu() finds the running CPU's area (arch: from the stack pointer).
 */
#ifndef TERN_PERCPU_H
#define TERN_PERCPU_H

#include "types.h"
#include "arch/percpu.h"
#include "timer.h"

struct percpu {
    unsigned int id;
    volatile bool online;
    struct timer_queue timers;
    u64 tlbflush_stamp;             /* TSC at this CPU's last full TLB flush */
    struct arch_percpu arch;
};

extern struct percpu *percpu_area[NR_CPUS];
extern unsigned int nr_cpus_online;
extern unsigned int nr_cpus_possible;

#define this_cpu()      arch_this_cpu()
#define smp_processor_id() (this_cpu()->id)

#endif
