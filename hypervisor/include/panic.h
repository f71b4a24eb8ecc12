/*
 * panic.h - stopping the hypervisor on its own bugs (never on guest input:
 * a guest's bad value is answered with an error code or kills that domain).
 */
#ifndef TERN_PANIC_H
#define TERN_PANIC_H

#include "types.h"

/* Exit status of the machine (tools/tern reads it back from QEMU). */
enum hv_exit {
    HV_EXIT_OK = 0,             /* every domain ended cleanly */
    HV_EXIT_DOMAIN_FAILED = 1,  /* some domain crashed or ended uncleanly */
    HV_EXIT_BAD_INPUT = 2,      /* bundle, config, image or machine refused */
    HV_EXIT_PANIC = 3,          /* hypervisor bug: crash report printed */
};

void panic(const char *fmt, ...) __noreturn __printf(1, 2);
/* Refuse to go on because of bad input: message, clean halt, exit status 2. */
void fatal_input(const char *fmt, ...) __noreturn __printf(1, 2);
/* Stop every CPU and leave the machine with this status. */
void machine_exit(enum hv_exit status) __noreturn;

#define BUG_ON(c) do { if (unlikely(c)) panic("BUG_ON(%s) at %s:%d", #c, __FILE__, __LINE__); } while (0)

#endif
