/*
 * console.h - the hypervisor console: printk to the serial line, and a log
 * kept in memory.  Later, the domains' consoles are multiplexed here too.
 */
#ifndef TERN_CONSOLE_H
#define TERN_CONSOLE_H

#include "types.h"

void console_init(void);
void console_write(const char *s, size_t n);
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);
/* Crash path: take the console even if another CPU died holding it. */
void console_force_unlock(void);

/* Log levels from the command line (loglevel=...). */
enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int console_loglevel;
#define pr_debug(...) do { if (console_loglevel >= LOG_DEBUG) printk(__VA_ARGS__); } while (0)

#endif
