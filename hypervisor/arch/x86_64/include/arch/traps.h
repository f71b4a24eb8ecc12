/* arch/traps.h - entry dispatch (traps.c). */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include "arch/regs.h"

typedef void (*irq_handler_t)(struct cpu_regs *regs);
void set_irq_handler(unsigned int vector, irq_handler_t h);
void do_entry(struct cpu_regs *regs);
/* Print a crash report for a hypervisor fault and leave the machine. */
void crash_report(const struct cpu_regs *regs, const char *why) __noreturn;
/* Print a backtrace starting from the frame pointer fp. */
void show_backtrace(u64 rip, u64 fp);
/* An exception taken in ring 3 (a guest): bounce it (PV entry code). */
void guest_exception(struct cpu_regs *regs);

#endif
