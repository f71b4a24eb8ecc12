/* arch/smp.h - bringing up the application processors (smp.c). */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include "types.h"

struct percpu;
/* BSP: set up CPU 0's per-CPU area on the boot stack. */
void smp_prepare_bsp(void);
/* Start every AP the MADT lists; returns the number online (BSP included). */
unsigned int smp_boot_aps(void);
/* Per-CPU setup shared by the BSP and APs: GDT, IDT, control registers, APIC. */
void cpu_init(struct percpu *p);
/* What every CPU does when it has nothing else: softirqs, then halt. */
void cpu_idle_loop(void) __noreturn;

#endif
