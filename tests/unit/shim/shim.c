/*
 * shim.c - what the portable hypervisor sources need from the rest of the
 * hypervisor, for host unit tests: panic, a fake machine (frame table and
 * RAM), console output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include "host.h"
#include "shim.h"
#include "frame.h"
#include "panic.h"

u8 *shim_ram;
jmp_buf *shim_panic_jmp;
char shim_panic_msg[256];
static struct page_info *shim_table;

void shim_machine(u64 nr_frames, u64 reserved_low)
{
    shim_machine_free();
    shim_table = calloc(nr_frames, sizeof(struct page_info));
    shim_ram = aligned_alloc(4096, nr_frames * 4096);
    if (!shim_table || !shim_ram)
        abort();
    frames_init(shim_table, nr_frames);
    frames_add_range(reserved_low, nr_frames);
}

void shim_machine_free(void)
{
    free(shim_table);
    free(shim_ram);
    shim_table = NULL;
    shim_ram = NULL;
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(shim_panic_msg, sizeof(shim_panic_msg), fmt, ap);
    va_end(ap);
    if (shim_panic_jmp)
        longjmp(*shim_panic_jmp, 1);
    fprintf(stderr, "panic: %s\n", shim_panic_msg);
    abort();
}
