/*
 * console.c - printf for guests, over whichever console the platform has
 * (pv.c: console_io or the console ring; native.c: COM1).  Formatting is the
 * hypervisor's own vsnprintf (hypervisor/lib), shared rather than duplicated.
 * A line longer than the buffer is cut and marked with "...".
 */
#include "guest.h"

void pv_console_write(const char *s, size_t n);
void native_console_write(const char *s, size_t n);

void console_write(const char *s, size_t n)
{
    if (platform_is_pv)
        pv_console_write(s, n);
    else
        native_console_write(s, n);
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
