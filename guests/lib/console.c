/*
 * console.c - printf for guests, over whichever console the platform has
 * (pv.c: console_io or the console ring; native.c: COM1).  Formatting is the
 * hypervisor's own vsnprintf (hypervisor/lib), shared rather than duplicated.
 * A line longer than the buffer is cut and marked with "...".
 */
#include "guest.h"

void pv_console_write(const char *s, size_t n);
void native_console_write(const char *s, size_t n);
int pv_console_getc(void);
int native_console_getc(void);

int console_getc(void)
{
    return platform_is_pv ? pv_console_getc() : native_console_getc();
}

void console_write(const char *s, size_t n)
{
    /* One CPU at a time once several run (smp.c); a CPU that is already
     * writing (a fault while printing) goes on without waiting for itself. */
    static int owner = -1;
    int me = (int)smp_cpu_id(), free = -1;
    bool nested = __atomic_load_n(&owner, __ATOMIC_RELAXED) == me;
    if (smp_active && !nested) {
        unsigned spins = 0;
        while (!__atomic_compare_exchange_n(&owner, &free, me, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
            free = -1;
            smp_relax(&spins);
        }
    }
    if (platform_is_pv)
        pv_console_write(s, n);
    else
        native_console_write(s, n);
    if (smp_active && !nested)
        __atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
        memcpy(buf + len - 4, "...\n", 4);
    }
    console_write(buf, len);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}
