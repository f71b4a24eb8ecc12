/*
 * time.c - TSC calibration and system time.
 *
 * The TSC frequency comes from CPUID where the CPU tells it (the hypervisor
 * timing leaf 0x40000010, or leaf 0x15 with a crystal frequency), else it is
 * measured against the PIT's channel 0 over 10 ms.  QEMU without hardware
 * virtualization offers neither leaf, so the PIT is the usual source here;
 * under -icount shift=0 it measures exactly 1 GHz.  The local APIC timer is
 * calibrated in the same window.  TSCs of all CPUs are assumed synchronised
 * (the BSP's boot value is the epoch for everyone).
 */
#include "time.h"
#include "arch/cpu.h"
#include "arch/apic.h"
#include "console.h"
#include "panic.h"

#define PIT_HZ          1193182ull
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define CALIBRATE_MS    10

u64 tsc_khz;
u64 tsc_at_boot;
struct time_scale tsc_scale;
const char *tsc_source = "none";

stime_t now(void)
{
    return (stime_t)scale_delta(rdtsc() - tsc_at_boot, tsc_scale);
}

void udelay(u64 us)
{
    u64 end = rdtsc() + us * (tsc_khz ? tsc_khz : 1000000) / 1000;
    while ((s64)(rdtsc() - end) < 0)
        cpu_relax();
}

static u16 pit_read(void)
{
    outb(PIT_CMD, 0x00);                    /* latch channel 0 */
    u8 lo = inb(PIT_CH0);
    u8 hi = inb(PIT_CH0);
    return (u16)(lo | (hi << 8));
}

static u64 cpuid_tsc_hz(void)
{
    u32 a, b, c, d;
    cpuid(0, &a, &b, &c, &d);
    u32 max_std = a;
    cpuid(1, &a, &b, &c, &d);
    if (c & (1u << 31)) {                   /* running on a hypervisor */
        cpuid(0x40000000, &a, &b, &c, &d);
        if (a >= 0x40000010) {
            cpuid(0x40000010, &a, &b, &c, &d);
            if (a) {
                tsc_source = "CPUID 0x40000010";
                return (u64)a * 1000;
            }
        }
    }
    if (max_std >= 0x15) {
        cpuid(0x15, &a, &b, &c, &d);
        if (a && b && c) {
            tsc_source = "CPUID 0x15";
            return (u64)c * b / a;
        }
    }
    return 0;
}

/* Measure the TSC against PIT channel 0; 0 if there is no PIT. */
static u64 pit_tsc_hz(void)
{
    outb(PIT_CMD, 0x34);                    /* channel 0, lo/hi, mode 2 */
    outb(PIT_CH0, 0xff);
    outb(PIT_CH0, 0xff);

    u16 prev = pit_read();
    u64 t_start = rdtsc();
    /* Wait for the counter to move: no movement for a long while = no PIT. */
    for (unsigned int i = 0; pit_read() == prev; i++)
        if (i > 200000)
            return 0;
    prev = pit_read();
    u64 t0 = rdtsc();
    apic_timer_calibrate_begin();
    u64 elapsed = 0, target = PIT_HZ * CALIBRATE_MS / 1000;
    while (elapsed < target) {
        u16 c = pit_read();
        elapsed += (u16)(prev - c) % 0xffff;   /* mode 2 counts 0xffff..1 and reloads */
        prev = c;
    }
    u64 t1 = rdtsc();
    (void)t_start;
    u64 hz = (t1 - t0) * PIT_HZ / elapsed;
    apic_timer_calibrate_end(hz / 1000, t1 - t0);
    tsc_source = "PIT";
    return hz;
}

void time_init(void)
{
    u64 hz = cpuid_tsc_hz();
    if (hz) {
        u64 t0 = rdtsc();
        apic_timer_calibrate_begin();
        u64 end = t0 + hz / 1000 * CALIBRATE_MS / 10;   /* 1 ms of TSC */
        while (rdtsc() < end)
            cpu_relax();
        apic_timer_calibrate_end(hz / 1000, rdtsc() - t0);
    } else {
        hz = pit_tsc_hz();
    }
    if (!hz)
        fatal_input("cannot calibrate the TSC: no CPUID frequency leaf and no PIT");
    tsc_khz = hz / 1000;
    tsc_scale = time_scale_for(hz);
    printk("TSC: %llu.%03llu MHz (%s)\n", (unsigned long long)(tsc_khz / 1000),
           (unsigned long long)(tsc_khz % 1000), tsc_source);
}
