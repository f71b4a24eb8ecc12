/*
 * console.c - printk and the hypervisor's log.
 *
 * Output goes to the serial line under console_lock, with "\n" sent as
 * "\r\n", and into a ring of the last CONSOLE_LOG_SIZE bytes.  A message
 * is formatted on the caller's stack first, so a long line may be cut at
 * PRINTK_MAX bytes but never interleaves with another CPU's.
 */
#include "console.h"
#include "serial.h"
#include "spinlock.h"
#include "lib.h"

#define PRINTK_MAX          512
#define CONSOLE_LOG_SIZE    16384

int console_loglevel = LOG_INFO;
static DEFINE_SPINLOCK(console_lock);
static char log_ring[CONSOLE_LOG_SIZE];
static u64 log_pos;

void console_init(void)
{
    serial_init();
}

static void emit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
        log_ring[log_pos++ % CONSOLE_LOG_SIZE] = s[i];
    }
}

void console_write(const char *s, size_t n)
{
    u64 f = spin_lock_irqsave(&console_lock);
    emit(s, n);
    spin_unlock_irqrestore(&console_lock, f);
}

int vprintk(const char *fmt, va_list ap)
{
    char buf[PRINTK_MAX];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n;
    console_write(buf, len);
    return n;
}

int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}

void console_force_unlock(void)
{
    spin_lock_init(&console_lock);
}
