/*
 * native.c - bring-up as a plain QEMU virtual machine (microvm, PVH entry):
 * the "native" platform that PV figures are compared with.
 *
 * head.S left us in long mode on 1:1 page tables (low 4 GiB, page 0 absent).
 * Here: our own GDT (kernel and user segments, a TSS with the kernel stack
 * for ring-3 entries and an IST stack for #DF), an IDT with entry.S's 256
 * stubs, syscall/sysret MSRs, the -ENOSYS hypercall page, COM1, the TSC
 * calibrated against the PIT, the local APIC (timer in one-shot mode).
 * Every port and MMIO access and every interrupt the drivers cause is counted
 * in native_events: each would be a VM exit on real hardware.
 * The guest ends by writing isa-debug-exit (port 0xf4): 0 clean, 1 crashed.
 */
#include "guest.h"
#include <xen/arch-x86/hvm/start_info.h>

void guest_main(void);
extern char native_idt_stubs[];
extern char native_syscall_entry[];
extern u64 native_kstack_top;

#define COM1            0x3f8
#define DEBUG_EXIT      0xf4
#define LAPIC_BASE      0xfee00000UL
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0

struct native_counters native_events;
u64 lapic_hz;

struct gdt_ptr { u16 limit; u64 base; } __packed;
struct idt_gate { u16 off0, sel; u8 ist, type; u16 off1; u32 off2, zero; };
struct tss { u32 rsvd0; u64 rsp[3]; u64 rsvd1; u64 ist[7]; u64 rsvd2; u16 rsvd3, iomap; } __packed;

/* 0x28 + 16 * n: CPU n's TSS (smp.c starts CPUs 1..). */
static u64 gdt[5 + 2 * SMP_MAX_CPUS] __aligned(16) = {
    0,
    0x00af9a000000ffffULL,      /* 0x08 kernel code, 64-bit */
    0x00cf92000000ffffULL,      /* 0x10 kernel data */
    0x00cff2000000ffffULL,      /* 0x18 user data (sysret SS) */
    0x00affa000000ffffULL,      /* 0x20 user code, 64-bit (sysret CS) */
    0, 0,                       /* 0x28 TSS */
};
/* Read by head.S's 32-bit lgdt too (limit + low 32 bits of the base). */
struct gdt_ptr native_gdt_ptr = { sizeof(gdt) - 1, (u64)gdt };
static struct idt_gate idt[256] __aligned(16);
static struct tss tss __aligned(16);
static u8 kstack[16384] __aligned(16);
static u8 df_stack[4096] __aligned(16);

void native_set_gate(unsigned vector, unsigned dpl, void *handler)
{
    u64 a = (u64)handler;
    idt[vector] = (struct idt_gate){
        .off0 = (u16)a, .sel = 0x08, .ist = vector == 8 ? 1 : 0,
        .type = (u8)(0x8e | (dpl << 5)), .off1 = (u16)(a >> 16), .off2 = (u32)(a >> 32),
    };
}

void native_console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            outb(COM1, '\r');
            native_events.pio++;
        }
        outb(COM1, (u8)s[i]);
        native_events.pio++;
    }
}

int native_console_getc(void);
int native_console_getc(void)
{
    native_events.pio++;
    if (!(inb(COM1 + 5) & 1))              /* line status: data ready */
        return -1;
    native_events.pio++;
    return inb(COM1);
}

__noreturn void native_exit(bool clean);
__noreturn void native_exit(bool clean)
{
    for (;;) {
        outl(DEBUG_EXIT, clean ? 0 : 1);
        __asm__ volatile("cli; hlt");
    }
}

/* ---- local APIC ---- */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
/* The counts are atomic (one `lock add`, as many instructions as a plain
 * one): several CPUs use their local APICs at once. */
u32 lapic_read(u32 reg)
{
    __atomic_fetch_add(&native_events.mmio, 1, __ATOMIC_RELAXED);
    return *(volatile u32 *)(LAPIC_BASE + reg);
}
void lapic_write(u32 reg, u32 v)
{
    __atomic_fetch_add(&native_events.mmio, 1, __ATOMIC_RELAXED);
    *(volatile u32 *)(LAPIC_BASE + reg) = v;
}

/* One-shot LAPIC timer firing VEC_LAPIC_TIMER after ns nanoseconds. */
void lapic_oneshot(u64 ns);
void lapic_oneshot(u64 ns)
{
    u64 count = ns * lapic_hz / 1000000000ULL;
    lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_ICR, count ? (u32)MIN(count, 0xffffffffULL) : 1);
}

void (*native_timer_handler)(struct regs *r);
u64 native_timer_irqs;

void native_lapic_irq(struct regs *r);
bool smp_native_irq(unsigned vector);

void native_lapic_irq(struct regs *r)
{
    __atomic_fetch_add(&native_events.irqs, 1, __ATOMIC_RELAXED);
    if (r->vector == VEC_SPURIOUS)
        return;
    if (r->vector == VEC_SMP_WAKE || r->vector == VEC_SMP_IPI)
        smp_native_irq((unsigned)r->vector);
    else if (r->vector == VEC_LAPIC_TIMER) {
        native_timer_irqs++;
        if (native_timer_handler)
            native_timer_handler(r);
    }
    lapic_write(LAPIC_EOI, 0);
}

/* TSC and LAPIC timer against PIT channel 0 counting down from 0xffff. */
static void calibrate(void)
{
    const u32 pit_hz = 1193182, want = pit_hz / 100;    /* 10 ms */
    lapic_write(LAPIC_TIMER_DCR, 0xb);                   /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, 0x10000 | VEC_LAPIC_TIMER);   /* masked */
    outb(0x43, 0x30);
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    native_events.pio += 3;
    lapic_write(LAPIC_TIMER_ICR, 0xffffffff);
    u64 t0 = rdtsc();
    u32 c0 = 0xffff, c;
    do {
        outb(0x43, 0x00);
        c = inb(0x40);
        c |= (u32)inb(0x40) << 8;
        native_events.pio += 3;
    } while (c0 - c < want && c <= c0);
    u64 t1 = rdtsc();
    u32 apic_left = lapic_read(LAPIC_TIMER_CCR);
    u32 elapsed = c0 - c;
    tsc_hz = (t1 - t0) * pit_hz / elapsed;
    lapic_hz = (u64)(0xffffffffU - apic_left) * pit_hz / elapsed;
    lapic_write(LAPIC_TIMER_ICR, 0);
}

static void lapic_init(void)
{
    u64 base = rdmsr(0x1b);
    wrmsr(0x1b, (base & ~0xfffULL) | (1 << 11) | (base & 0x100));   /* xAPIC enable */
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

static char native_cmdline[1024];
u64 native_rsdp;                        /* hvm_start_info's ACPI RSDP (smp.c), 0 if none */

/* A secondary CPU's own TSS (rsp0 = stack_top, IST1 its #DF stack), the
 * shared GDT and IDT, the syscall MSRs and its local APIC (smp.c). */
void native_cpu_init_ap(unsigned cpu, u64 stack_top);
void native_cpu_init_ap(unsigned cpu, u64 stack_top)
{
    static struct tss ap_tss[SMP_MAX_CPUS] __aligned(16);
    static u8 ap_df_stack[SMP_MAX_CPUS][4096] __aligned(16);
    struct tss *ts = &ap_tss[cpu];
    u64 t = (u64)ts;
    ts->rsp[0] = stack_top;
    ts->ist[0] = (u64)ap_df_stack[cpu] + sizeof(ap_df_stack[cpu]);
    ts->iomap = sizeof(*ts);
    gdt[5 + 2 * cpu] = (sizeof(*ts) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
                       (((t >> 24) & 0xff) << 56);
    gdt[6 + 2 * cpu] = t >> 32;
    __asm__ volatile("ltr %w0" :: "r"(0x28 + 16 * cpu) : "memory");
    struct gdt_ptr ip = { sizeof(idt) - 1, (u64)idt };
    __asm__ volatile("lidt %0" :: "m"(ip));
    wrmsr(MSR_STAR, (0x10ULL << 48) | (0x08ULL << 32));
    wrmsr(MSR_LSTAR, (u64)native_syscall_entry);
    wrmsr(MSR_FMASK, 0x40700);
    lapic_init();
}

void native_boot(u32 start_info_paddr);
void native_boot(u32 start_info_paddr)
{
    platform_is_pv = 0;
    const struct hvm_start_info *si = (const void *)(u64)start_info_paddr;
    if (si && si->magic == XEN_HVM_START_MAGIC_VALUE && si->cmdline_paddr)
        strlcpy(native_cmdline, (const char *)si->cmdline_paddr, sizeof(native_cmdline));
    guest_cmdline = native_cmdline;
    if (si && si->magic == XEN_HVM_START_MAGIC_VALUE && si->version >= 1)
        native_rsdp = si->rsdp_paddr;

    /* GDT with the TSS, then the IDT. */
    u64 t = (u64)&tss;
    tss.rsp[0] = (u64)kstack + sizeof(kstack);
    tss.ist[0] = (u64)df_stack + sizeof(df_stack);
    tss.iomap = sizeof(tss);
    gdt[5] = (sizeof(tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) | (((t >> 24) & 0xff) << 56);
    gdt[6] = t >> 32;
    native_gdt_ptr.base = (u64)gdt;
    __asm__ volatile("lgdt %0; ltr %w1" :: "m"(native_gdt_ptr), "r"(0x28) : "memory");
    for (unsigned v = 0; v < 256; v++)
        native_set_gate(v, (v == 3 || v == 4) ? 3 : 0, native_idt_stubs + 16 * v);
    struct gdt_ptr ip = { sizeof(idt) - 1, (u64)idt };
    __asm__ volatile("lidt %0" :: "m"(ip));

    /* syscall: kernel CS 0x08/SS 0x10; sysret: user SS 0x18|3, CS 0x20|3. */
    native_kstack_top = (u64)kstack + sizeof(kstack);
    wrmsr(MSR_STAR, (0x10ULL << 48) | (0x08ULL << 32));
    wrmsr(MSR_LSTAR, (u64)native_syscall_entry);
    wrmsr(MSR_FMASK, 0x40700);          /* clear AC, DF, IF, TF */

    /* Hypercalls do not exist here: every slot answers -ENOSYS. */
    for (unsigned i = 0; i < 4096 / 32; i++) {
        static const u8 stub[] = { 0x48, 0xc7, 0xc0, 0xda, 0xff, 0xff, 0xff, 0xc3 };
        memcpy(hypercall_page + 32 * i, stub, sizeof(stub));
    }

    lapic_init();
    calibrate();
    mm_init(0);
    time_init();
    guest_main();
}
