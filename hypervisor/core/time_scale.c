/*
 * time_scale.c - choosing the pvclock scale factor for a counter frequency.
 *
 * ns = ((ticks << shift) * mul) >> 32 with mul < 2^32: shift the frequency
 * into (1e9, 2e9] by powers of two, then mul = 1e9 * 2^32 / shifted rate, so
 * mul is as large (precise) as it can be.  Xen hands guests the same form.
 */
#include "time.h"

struct time_scale time_scale_for(u64 ticks_per_s)
{
    struct time_scale s = { 0, 0 };
    u64 t = ticks_per_s;
    if (!t)
        return s;
    while (t <= 1000000000ull) {
        t <<= 1;
        s.shift++;
    }
    while (t > 2000000000ull) {
        t >>= 1;
        s.shift--;
    }
    /* Shifting right drops low bits: 2000000001 Hz lands on t = 1e9 exactly,
     * where the quotient is 2^32 and would truncate to a mul of 0.  The true
     * rate is just above 1e9 there, so the largest mul is the right one. */
    u64 mul = (1000000000ull << 32) / t;
    s.mul = mul > 0xffffffffull ? 0xffffffffu : (u32)mul;
    return s;
}
