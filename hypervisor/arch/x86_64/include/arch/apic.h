/*
 * arch/apic.h - the local APIC: x2APIC when the CPU has it, else xAPIC MMIO.
 */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include "types.h"

void apic_init_bsp(void);           /* detect mode, map MMIO, set up this CPU */
void apic_init_cpu(void);           /* per CPU: enable, spurious vector, timer LVT */
u32 apic_id(void);
void apic_eoi(void);
void apic_send_ipi(u32 apic_id, u8 vector);
void apic_send_init(u32 apic_id);
void apic_send_sipi(u32 apic_id, u8 page);
/* NMI every other CPU so that it halts (crash, exit); safe before APIC init. */
void apic_stop_other_cpus(void);
bool apic_stopping(void);
bool apic_is_x2apic(void);
/* Deliver ISA IRQ irq (through the first I/O APIC, as the MADT routes it) as
 * vector on this CPU; false if there is no I/O APIC to do it. */
bool ioapic_route_isa_irq(unsigned int irq, u8 vector);

/* One-shot timer: fire VEC_TIMER after about ns nanoseconds (0 = cancel). */
void apic_timer_oneshot_ns(u64 ns);
/* Calibrate the timer against the TSC (time.c calls this during calibration). */
void apic_timer_calibrate_begin(void);
void apic_timer_calibrate_end(u64 tsc_khz, u64 tsc_delta);

#endif
