/*
 * vectors.h - software vector numbers of guests/lib's struct regs, shared by
 * entry.S and C: 0-255 are the CPU's, the rest name the PV callbacks.
 */
#ifndef GUEST_VECTORS_H
#define GUEST_VECTORS_H

#define VEC_EVENT       256     /* PV event upcall */
#define VEC_SYSCALL     257     /* `syscall` from user mode (PV callback or native) */
#define VEC_LAPIC_TIMER 0x40    /* native local APIC timer */
#define VEC_SMP_WAKE    0x41    /* native: wakes an idle CPU (smp.c) */
#define VEC_SMP_IPI     0x42    /* native: smp_send_ipi */
#define VEC_SPURIOUS    0xff

#endif
