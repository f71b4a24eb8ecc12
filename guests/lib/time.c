/*
 * time.c - system time in nanoseconds.
 *
 * PV: the pvclock of vCPU 0 in shared_info (version, tsc_timestamp,
 * system_time, tsc_to_system_mul, tsc_shift), read under its version
 * counter.  Native: the TSC since boot, at the rate native.c measured against
 * the PIT.  Under -icount shift=0 both advance one per instruction.
 */
#include "guest.h"

u64 tsc_hz;
static u64 tsc_boot;
static u32 mul_frac;        /* PV: pvclock's ns per tick, a 0.32 fraction */
static int mul_shift;

static u64 scale(u64 delta, u32 mul, int shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (u64)(((unsigned __int128)delta * mul) >> 32);
}

void time_init(void)
{
    tsc_boot = rdtsc();
    if (platform_is_pv) {
        const struct vcpu_time_info *t = &vcpu0()->time;
        mul_frac = t->tsc_to_system_mul;
        mul_shift = t->tsc_shift;
        tsc_hz = (u64)((((unsigned __int128)1000000000ULL) << 32) / mul_frac);
        if (mul_shift > 0)
            tsc_hz >>= mul_shift;
        else
            tsc_hz <<= -mul_shift;
        return;
    }
    if (!tsc_hz)
        tsc_hz = 1000000000ULL;
}

u64 tsc_to_ns(u64 ticks)
{
    if (platform_is_pv)
        return scale(ticks, mul_frac, mul_shift);
    return (u64)((unsigned __int128)ticks * 1000000000ULL / tsc_hz);
}

u64 ns_to_tsc(u64 ns)
{
    return (u64)((unsigned __int128)ns * tsc_hz / 1000000000ULL);
}

u64 tsc_to_system_ns(u64 tsc)
{
    if (!platform_is_pv)
        return tsc_to_ns(tsc - tsc_boot);
    const volatile struct vcpu_time_info *t = &vcpu0()->time;
    u32 version;
    u64 ns;
    do {
        version = t->version;
        rmb();
        ns = t->system_time + scale(tsc - t->tsc_timestamp, t->tsc_to_system_mul, t->tsc_shift);
        rmb();
    } while ((version & 1) || version != t->version);
    return ns;
}

u64 now_ns(void)
{
    if (!platform_is_pv)
        return tsc_to_ns(rdtsc() - tsc_boot);
    const volatile struct vcpu_time_info *t = &vcpu0()->time;
    u32 version;
    u64 ns;
    do {
        version = t->version;
        rmb();
        ns = t->system_time + scale(rdtsc() - t->tsc_timestamp, t->tsc_to_system_mul, t->tsc_shift);
        rmb();
    } while ((version & 1) || version != t->version);
    return ns;
}
