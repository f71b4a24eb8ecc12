/*
 * tsc-khz - the host's TSC rate in kHz, measured against CLOCK_MONOTONIC over
 * 300 ms.  Under QEMU's TCG (without -icount) a guest reads the host's TSC,
 * and Linux in a plain VM calibrates it against the emulated PIT, which fails
 * on a loaded host (the kernel then hangs): tools/ternlib/linux.py tells the
 * plain VM the rate instead (tsc_early_khz=).  A host tool, not in the initramfs.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    double t0 = now(), t1;
    uint64_t c0 = rdtsc();
    while ((t1 = now()) - t0 < 0.3)
        ;
    uint64_t c1 = rdtsc();
    printf("%.0f\n", (double)(c1 - c0) / (t1 - t0) / 1000.0);
    return 0;
}
