/*
 * rtc.c - the wall clock at boot, from the CMOS real-time clock.
 *
 * Read once, without waiting for the next update edge (Xen waits up to a
 * second for it; Tern keeps boot fast and accepts 1 s resolution).  Domains
 * see it in shared_info as the wall-clock time at system time zero.
 */
#include "time.h"
#include "arch/cpu.h"

static u8 cmos(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned int bcd(u8 v, bool is_bcd)
{
    return is_bcd ? (v & 15) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static u64 days_from_epoch(unsigned int y, unsigned int m, unsigned int d)
{
    y -= m <= 2;
    u64 era = y / 400, yoe = y - era * 400;
    u64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

u64 boot_wallclock_sec;            /* seconds since the epoch at system time zero */

void rtc_init(void)
{
    for (unsigned int i = 0; i < 100000 && (cmos(0x0a) & 0x80); i++)
        cpu_relax();                /* an update is in progress */
    u8 status_b = cmos(0x0b);
    bool is_bcd = !(status_b & 0x04), h24 = status_b & 0x02;
    unsigned int sec = bcd(cmos(0x00), is_bcd), min = bcd(cmos(0x02), is_bcd);
    u8 hr_raw = cmos(0x04);
    unsigned int hour = bcd(hr_raw & 0x7f, is_bcd);
    unsigned int day = bcd(cmos(0x07), is_bcd), mon = bcd(cmos(0x08), is_bcd);
    unsigned int year = bcd(cmos(0x09), is_bcd);
    unsigned int century = bcd(cmos(0x32), is_bcd);
    if (!h24 && (hr_raw & 0x80))
        hour = (hour % 12) + 12;
    year += (century >= 19 && century <= 30) ? century * 100 : 2000;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        boot_wallclock_sec = 0;     /* no usable RTC */
        return;
    }
    u64 t = days_from_epoch(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    u64 since_boot = (u64)now() / 1000000000ull;
    boot_wallclock_sec = t > since_boot ? t - since_boot : t;
}
