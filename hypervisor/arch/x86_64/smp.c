/*
 * smp.c - per-CPU areas, AP start-up, IPIs.
 *
 * The BSP starts the APs one at a time: it allocates the AP's per-CPU area
 * and stack block, copies the trampoline (trampoline.S) below 1 MiB, sends
 * INIT, then STARTUP up to twice, and waits for the AP to mark itself
 * online.  An AP runs cpu_init() and then idles, taking work from IPIs and
 * its timers.  CPU numbers are dense (0 = BSP) in MADT order.
 */
#include "arch/smp.h"
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "arch/traps.h"
#include "acpi.h"
#include "console.h"
#include "heap.h"
#include "ipi.h"
#include "lib.h"
#include "panic.h"
#include "percpu.h"
#include "softirq.h"
#include "time.h"
#include "arch/pv.h"

struct percpu *percpu_area[NR_CPUS];
unsigned int nr_cpus_online;
unsigned int nr_cpus_possible;

static struct percpu bsp_percpu;
extern char bsp_stack[];
extern char trampoline_start[], trampoline_end[], trampoline_cr3[], trampoline_target[];
extern char trampoline_efer_nx[];
extern char boot_l4[];
extern void ap_entry64(void);

/* Read by ap_entry64 (boot.S). */
u64 ap_boot_cr3, ap_boot_rsp;

static struct {
    spinlock_t lock;                    /* one call in flight per target CPU */
    void (*fn)(void *);
    void *data;
    volatile bool done;
} call_slot[NR_CPUS];

void smp_prepare_bsp(void)
{
    bsp_percpu.id = 0;
    bsp_percpu.arch.stack_block = bsp_stack;
    spin_lock_init(&bsp_percpu.timers.lock);
    cpu_info_of_block(bsp_stack)->pcpu = &bsp_percpu;
    percpu_area[0] = &bsp_percpu;
}

static void ipi_event_handler(struct cpu_regs *regs)
{
    (void)regs;         /* the softirq bits are already set; exit paths run them */
}

static void ipi_call_handler(struct cpu_regs *regs)
{
    (void)regs;
    unsigned int cpu = smp_processor_id();
    if (call_slot[cpu].fn) {
        void (*fn)(void *) = call_slot[cpu].fn;
        call_slot[cpu].fn = NULL;
        fn(call_slot[cpu].data);
        __atomic_store_n(&call_slot[cpu].done, true, __ATOMIC_RELEASE);
    }
}

static void timer_irq_handler(struct cpu_regs *regs)
{
    (void)regs;
    softirq_raise(SOFTIRQ_TIMER);
}

void ipi_kick(unsigned int cpu)
{
    apic_send_ipi(percpu_area[cpu]->arch.apic_id, VEC_IPI_EVENT);
}

void ipi_call(unsigned int cpu, void (*fn)(void *), void *data)
{
    if (cpu == smp_processor_id()) {
        fn(data);
        return;
    }
    spin_lock(&call_slot[cpu].lock);
    call_slot[cpu].data = data;
    call_slot[cpu].done = false;
    __atomic_store_n(&call_slot[cpu].fn, fn, __ATOMIC_RELEASE);
    apic_send_ipi(percpu_area[cpu]->arch.apic_id, VEC_IPI_CALL);
    while (!__atomic_load_n(&call_slot[cpu].done, __ATOMIC_ACQUIRE))
        cpu_relax();
    spin_unlock(&call_slot[cpu].lock);
}

void arch_timer_program(stime_t deadline)
{
    if (!deadline) {
        apic_timer_oneshot_ns(0);
        return;
    }
    stime_t delta = deadline - now();
    apic_timer_oneshot_ns(delta > 0 ? (u64)delta : 1);
}

void cpu_init(struct percpu *p)
{
    u64 cr0 = read_cr0();
    cr0 |= X86_CR0_WP | X86_CR0_NE | X86_CR0_MP;
    cr0 &= ~(X86_CR0_EM | X86_CR0_TS | X86_CR0_CD | X86_CR0_NW);   /* APs start with caches off */
    write_cr0(cr0);
    u64 cr4 = read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
    if (pte_global_mask)
        cr4 |= X86_CR4_PGE;
    u32 a, b, c, d;
    cpuid_count(7, 0, &a, &b, &c, &d);
    if (b & (1u << 7))
        cr4 |= X86_CR4_SMEP;         /* the hypervisor never runs guest code */
    write_cr4(cr4);
    u64 efer = rdmsr(MSR_EFER) | EFER_SCE;
    if (pte_nx_mask)
        efer |= EFER_NXE;
    wrmsr(MSR_EFER, efer);

    gdt_init_cpu(p);
    idt_load();
    apic_init_cpu();
    pv_cpu_init(p->id);
}

void cpu_idle_loop(void)
{
    for (;;) {
        local_irq_disable();
        if (softirq_pending()) {
            softirq_run();
            continue;
        }
        safe_halt();                /* sti; hlt: an interrupt wakes us */
    }
}

/* C entry of an AP (boot.S ap_entry64), on its own stack. */
void ap_start(void) __noreturn;
void ap_start(void)
{
    struct percpu *p = get_cpu_info()->pcpu;
    cpu_init(p);
    __atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
    cpu_idle_loop();
}

static bool start_ap(unsigned int cpu, u32 apic)
{
    struct percpu *p = xzalloc(sizeof(*p));
    void *stack = alloc_pages(STACK_ORDER);
    if (!p || !stack)
        panic("no memory for CPU %u", cpu);
    p->id = cpu;
    p->arch.apic_id = apic;
    p->arch.stack_block = stack;
    spin_lock_init(&p->timers.lock);
    struct cpu_info *ci = cpu_info_of_block(stack);
    ci->pcpu = p;
    percpu_area[cpu] = p;

    ap_boot_cr3 = idle_pagetable();
    ap_boot_rsp = (u64)ci;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    apic_send_init(apic);
    udelay(10);
    for (int attempt = 0; attempt < 2; attempt++) {
        apic_send_sipi(apic, TRAMPOLINE_PHYS >> 12);
        stime_t deadline = now() + (attempt ? 1000000000 : 20000000);   /* 20 ms, then 1 s */
        while (now() < deadline) {
            if (__atomic_load_n(&p->online, __ATOMIC_ACQUIRE))
                return true;
            cpu_relax();
        }
    }
    return false;
}

unsigned int smp_boot_aps(void)
{
    set_irq_handler(VEC_TIMER, timer_irq_handler);
    set_irq_handler(VEC_IPI_EVENT, ipi_event_handler);
    set_irq_handler(VEC_IPI_CALL, ipi_call_handler);

    nr_cpus_online = 1;
    nr_cpus_possible = acpi_info.nr_cpus ? acpi_info.nr_cpus : 1;
    if (acpi_info.nr_cpus > NR_CPUS)
        fatal_input("the machine has %u CPUs, this build supports at most %d (NR_CPUS in config.mk)",
                    acpi_info.nr_cpus, NR_CPUS);
    if (acpi_info.nr_cpus <= 1)
        return 1;

    /* The trampoline lives in the reserved first MiB; reach it through the direct map. */
    u8 *tramp = maddr_to_virt(TRAMPOLINE_PHYS);
    memcpy(tramp, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    *(u64 *)(tramp + (trampoline_cr3 - trampoline_start)) = virt_to_maddr(boot_l4);
    *(u64 *)(tramp + (trampoline_target - trampoline_start)) = (u64)ap_entry64;
    *(u32 *)(tramp + (trampoline_efer_nx - trampoline_start)) = pte_nx_mask ? EFER_NXE : 0;

    u32 self = this_cpu()->arch.apic_id;
    unsigned int cpu = 1;
    for (unsigned int i = 0; i < acpi_info.nr_cpus; i++) {
        u32 apic = acpi_info.apic_ids[i];
        if (apic == self)
            continue;
        if (start_ap(cpu, apic)) {
            printk("CPU %u online (APIC ID %u)\n", cpu, apic);
            nr_cpus_online++;
        } else {
            printk("CPU %u (APIC ID %u) did not start\n", cpu, apic);
            percpu_area[cpu] = NULL;
        }
        cpu++;
    }
    return nr_cpus_online;
}
