/* Host shim: no interrupts to mask in a test process. */
#ifndef SHIM_ARCH_IRQFLAGS_H
#define SHIM_ARCH_IRQFLAGS_H

#define arch_cpu_relax()        ((void)0)
#define arch_irq_save()         ((u64)0)
#define arch_irq_restore(f)     ((void)(f))
#define arch_irq_enable()       ((void)0)
#define arch_irq_disable()      ((void)0)

#endif
