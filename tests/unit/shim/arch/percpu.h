/*
 * Host shim of arch/percpu.h: the real structures, but the running CPU is
 * not found from the stack pointer: it is the fake CPU the shim says runs
 * (shim_pv.c, shim_cpu_switch).  Needs the arch interface headers on the
 * include path behind the shim (tests/unit/build.mk, UNIT_ARCH_CFLAGS).
 */
#ifndef SHIM_ARCH_PERCPU_H
#define SHIM_ARCH_PERCPU_H

#include_next "arch/percpu.h"

struct cpu_info *shim_cpu_info(void);
#undef arch_this_cpu
#define arch_this_cpu()     (shim_cpu_info()->pcpu)
#define get_cpu_info()      shim_cpu_info()

#endif
