/*
 * time.h - system time: nanoseconds since boot, from the TSC.
 *
 * The TSC is scaled the way Xen's pvclock does it (ns = ((tsc << shift) *
 * mul) >> 32), so the same pair can be handed to guests.
 */
#ifndef TERN_TIME_H
#define TERN_TIME_H

#include "types.h"
#include "arch/tsc.h"

struct time_scale {
    u32 mul;            /* 32.32 fixed point */
    s8 shift;
};

extern u64 tsc_khz;
extern u64 tsc_at_boot;
extern struct time_scale tsc_scale;
extern const char *tsc_source;

void time_init(void);
void rtc_init(void);
extern u64 boot_wallclock_sec;      /* wall clock at system time zero (rtc.c) */
stime_t now(void);
void udelay(u64 us);

/* Choose mul/shift so that scale_delta(ticks_per_s) == 1e9 (pvclock form). */
struct time_scale time_scale_for(u64 ticks_per_s);

static inline u64 scale_delta(u64 delta, struct time_scale s)
{
    if (s.shift < 0)
        delta >>= -s.shift;
    else
        delta <<= s.shift;
    return (u64)(((unsigned __int128)delta * s.mul) >> 32);
}

#endif
