/*
 * softirq.h - deferred work per CPU, run with interrupts enabled before the
 * CPU returns to a guest or goes idle (never inside an interrupt handler).
 */
#ifndef TERN_SOFTIRQ_H
#define TERN_SOFTIRQ_H

#include "types.h"

enum { SOFTIRQ_TIMER, SOFTIRQ_SCHEDULE, SOFTIRQ_NMI, SOFTIRQ_CALL, SOFTIRQ_BUILD, NR_SOFTIRQS };

void softirq_raise(unsigned int nr);                     /* this CPU */
void softirq_raise_on(unsigned int cpu, unsigned int nr); /* another CPU: IPI */
bool softirq_pending(void);
void softirq_run(void);
void softirq_register(unsigned int nr, void (*fn)(void));

#endif
