/*
 * apic.c - local APIC access, IPIs and the one-shot timer.
 *
 * x2APIC (MSRs) is used when CPUID offers it, xAPIC through an uncached
 * fixmap page otherwise (QEMU's TCG has no x2APIC).  The timer runs in
 * TSC-deadline mode when the CPU has it, else in one-shot count mode with a
 * rate calibrated against the TSC.
 */
#include "acpi.h"
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/pagetable.h"
#include "percpu.h"
#include "domain.h"
#include "console.h"
#include "panic.h"

#define APIC_ID         0x020
#define APIC_VERSION    0x030
#define APIC_TPR        0x080
#define APIC_EOI        0x0b0
#define APIC_LDR        0x0d0
#define APIC_SVR        0x0f0
#define APIC_ESR        0x280
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVT_TIMER  0x320
#define APIC_LVT_LINT0  0x350
#define APIC_LVT_LINT1  0x360
#define APIC_LVT_ERROR  0x370
#define APIC_TMICT      0x380
#define APIC_TMCCT      0x390
#define APIC_TDCR       0x3e0

#define ICR_FIXED       0x000
#define ICR_NMI         0x400
#define ICR_INIT        0x500
#define ICR_STARTUP     0x600
#define ICR_ASSERT      0x4000
#define ICR_LEVEL       0x8000
#define ICR_BUSY        0x1000
#define ICR_ALL_BUT_SELF 0xc0000
#define LVT_MASKED      0x10000
#define LVT_TSC_DEADLINE 0x40000

static bool x2apic, tsc_deadline, ready;
static volatile bool stopping;
static volatile u32 *mmio;
static u64 ticks_per_ms;            /* count-mode timer rate */
static u64 tsc_khz_saved;

static u32 rd(u32 reg)
{
    if (x2apic)
        return (u32)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    return mmio[reg / 4];
}

static void wr(u32 reg, u32 v)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

static void write_icr(u32 dest, u32 low)
{
    if (x2apic) {
        wrmsr(MSR_X2APIC_BASE + (APIC_ICR >> 4), ((u64)dest << 32) | low);
        return;
    }
    for (unsigned int i = 0; (mmio[APIC_ICR / 4] & ICR_BUSY) && i < 1000000; i++)
        cpu_relax();
    mmio[APIC_ICR2 / 4] = dest << 24;
    mmio[APIC_ICR / 4] = low;
}

bool apic_is_x2apic(void) { return x2apic; }

u32 apic_id(void)
{
    u32 v = rd(APIC_ID);
    return x2apic ? v : v >> 24;
}

void apic_eoi(void)
{
    wr(APIC_EOI, 0);
}

void apic_send_ipi(u32 dest, u8 vector)
{
    struct vcpu *v = current;
    if (v && !is_idle_vcpu(v))
        v->stats.ipis++;
    write_icr(dest, ICR_FIXED | ICR_ASSERT | vector);
}

void apic_send_init(u32 dest)
{
    write_icr(dest, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    if (!x2apic)
        write_icr(dest, ICR_INIT | ICR_LEVEL);      /* de-assert (xAPIC only) */
}

void apic_send_sipi(u32 dest, u8 page)
{
    write_icr(dest, ICR_STARTUP | ICR_ASSERT | page);
}

void apic_stop_other_cpus(void)
{
    stopping = true;
    if (ready && nr_cpus_online > 1)
        write_icr(0, ICR_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
}

bool apic_stopping(void)
{
    return stopping;
}

void apic_init_bsp(void)
{
    u32 a, b, c, d;
    cpuid(1, &a, &b, &c, &d);
    if (!(d & (1u << 9)))
        fatal_input("this CPU has no local APIC");
    x2apic = c & (1u << 21);
    tsc_deadline = c & (1u << 24);
    u64 base = rdmsr(MSR_APIC_BASE);
    if (!x2apic)
        mmio = fixmap_mmio(base & 0xfffff000ull);
    ready = true;
    /* Mask the legacy PICs: every interrupt Tern takes comes through the APIC. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void apic_init_cpu(void)
{
    u64 base = rdmsr(MSR_APIC_BASE);
    if (!(base & (1u << 11)))
        wrmsr(MSR_APIC_BASE, base |= 1u << 11);      /* xAPIC enable first */
    if (x2apic && !(base & (1u << 10)))
        wrmsr(MSR_APIC_BASE, base | (1u << 10));     /* then x2APIC */
    wr(APIC_TPR, 0);
    wr(APIC_SVR, 0x100 | VEC_SPURIOUS);
    wr(APIC_LVT_LINT0, LVT_MASKED);
    wr(APIC_LVT_LINT1, 0x400);                       /* NMI */
    wr(APIC_LVT_ERROR, LVT_MASKED);
    wr(APIC_TDCR, 0xb);                              /* divide by 1 */
    wr(APIC_LVT_TIMER, VEC_TIMER | (tsc_deadline ? LVT_TSC_DEADLINE : 0));
    this_cpu()->arch.apic_id = apic_id();
}

void apic_timer_calibrate_begin(void)
{
    if (tsc_deadline)
        return;
    wr(APIC_LVT_TIMER, VEC_TIMER | LVT_MASKED);
    wr(APIC_TDCR, 0xb);
    wr(APIC_TMICT, 0xffffffff);
}

void apic_timer_calibrate_end(u64 tsc_khz, u64 tsc_delta)
{
    tsc_khz_saved = tsc_khz;
    if (tsc_deadline)
        return;
    u64 counted = 0xffffffffull - rd(APIC_TMCCT);
    wr(APIC_TMICT, 0);
    wr(APIC_LVT_TIMER, VEC_TIMER);
    /* ticks per ms = counted / (tsc_delta / tsc_khz) */
    ticks_per_ms = tsc_delta ? counted * tsc_khz / tsc_delta : 0;
    if (!ticks_per_ms)
        ticks_per_ms = 1000;
}

void apic_timer_oneshot_ns(u64 ns)
{
    if (ns > 1000000000000ull)
        ns = 1000000000000ull;                        /* at most 1000 s ahead */
    if (tsc_deadline) {
        u64 ticks = ns ? rdtsc() + ns * tsc_khz_saved / 1000000 + 1 : 0;
        wrmsr(MSR_TSC_DEADLINE, ticks);
        return;
    }
    if (!ns) {
        wr(APIC_TMICT, 0);
        return;
    }
    u64 ticks = ns * ticks_per_ms / 1000000;
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffffull)
        ticks = 0xffffffffull;
    wr(APIC_TMICT, (u32)ticks);
}

/* ---- the I/O APIC: just enough to route one ISA interrupt ---- */

#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOREDTBL(n)     (0x10 + 2 * (n))
#define RTE_LOW_ACTIVE  (1u << 13)
#define RTE_LEVEL       (1u << 15)
#define RTE_MASKED      (1u << 16)

static volatile u32 *ioapic;

static u32 ioapic_read(u32 reg)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    return ioapic[IOAPIC_WIN / 4];
}

static void ioapic_write(u32 reg, u32 val)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    ioapic[IOAPIC_WIN / 4] = val;
}

bool ioapic_route_isa_irq(unsigned int irq, u8 vector)
{
    if (!acpi_info.ioapic_addr || irq >= 16)
        return false;
    if (!ioapic)
        ioapic = fixmap_mmio(acpi_info.ioapic_addr);
    u32 gsi = acpi_info.isa_gsi[irq];
    unsigned int pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
    if (gsi < acpi_info.ioapic_gsi_base || gsi - acpi_info.ioapic_gsi_base >= pins)
        return false;
    unsigned int pin = gsi - acpi_info.ioapic_gsi_base;
    u16 f = acpi_info.isa_flags[irq];
    u32 low = vector;                       /* fixed delivery, physical destination */
    if ((f & 3) == 3)
        low |= RTE_LOW_ACTIVE;              /* ISA default: active high */
    if (((f >> 2) & 3) == 3)
        low |= RTE_LEVEL;                   /* ISA default: edge */
    ioapic_write(IOREDTBL(pin), RTE_MASKED);
    ioapic_write(IOREDTBL(pin) + 1, apic_id() << 24);
    ioapic_write(IOREDTBL(pin), low);
    return true;
}
