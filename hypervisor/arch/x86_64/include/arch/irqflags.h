/* irqflags.h - the interrupt-flag interface core code uses (spinlock.h). */
#ifndef ARCH_IRQFLAGS_H
#define ARCH_IRQFLAGS_H

#include "arch/cpu.h"

#define arch_cpu_relax()        cpu_relax()
#define arch_irq_save()         local_irq_save()
#define arch_irq_restore(f)     local_irq_restore(f)
#define arch_irq_enable()       local_irq_enable()
#define arch_irq_disable()      local_irq_disable()

#endif
