/* arch/tsc.h - reading the time-stamp counter (the interface core code uses). */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include "arch/cpu.h"

#define arch_rdtsc() rdtsc()

#endif
