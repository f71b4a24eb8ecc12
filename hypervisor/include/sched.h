/*
 * sched.h - sharing physical CPUs between vCPUs.
 *
 * Each physical CPU has a run queue of the runnable vCPUs placed on it
 * (vcpu->processor) and an idle vCPU.  schedule() (the SCHEDULE softirq)
 * picks the vCPU with the least weighted runtime (sched.c); a time slice
 * preempts the running one when others wait.  A vCPU runs when its
 * pause_flags are clear and its domain runs.
 */
#ifndef TERN_SCHED_H
#define TERN_SCHED_H

#include "domain.h"

#define SCHED_SLICE_NS  10000000        /* 10 ms */

void sched_init(void);                  /* BSP, after SMP bring-up */
void sched_init_cpu(unsigned int cpu);  /* idle vCPU and run queue of a CPU */
/* A CPU for a new vCPU within affinity (0 = any): the least loaded. */
unsigned int sched_place_vcpu(u64 affinity);
void sched_domain_init(struct domain *d, u32 weight, u32 cap);
struct vcpu *idle_vcpu_of(unsigned int cpu);
bool vcpu_runnable(const struct vcpu *v);
/* v may have become runnable: queue it and kick its CPU. */
void vcpu_wake(struct vcpu *v);
/* v stopped being runnable: make its CPU reschedule. */
void vcpu_sleep(struct vcpu *v);
void vcpu_pause_flag_set(struct vcpu *v, u32 flag);
void vcpu_pause_flag_clear(struct vcpu *v, u32 flag);
/* The running vCPU gives up the CPU at its next exit. */
void sched_yield_current(void);
void schedule(void);
/* Runstate bookkeeping: the vCPU enters state s (RUNSTATE_*). */
void vcpu_runstate_change(struct vcpu *v, int s, stime_t now);
void vcpu_update_runstate_area(struct vcpu *v);
/* Publish fresh pvclock values to the vCPU's vcpu_info. */
void update_vcpu_system_time(struct vcpu *v);
/* The first vCPU of a domain starts (domain builder). */
void sched_start_vcpu(struct vcpu *v);

#endif
