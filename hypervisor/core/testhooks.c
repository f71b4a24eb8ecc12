/*
 * testhooks.c - deliberate hypervisor faults for the harness self-tests
 * (test build only, see testhooks.h).
 */
#include "testhooks.h"
#include "cmdline.h"
#include "console.h"
#include "ipi.h"
#include "lib.h"
#include "panic.h"
#include "percpu.h"

static void fault_pf(void *unused)
{
    (void)unused;
    u64 addr = 8;                           /* nothing is mapped there */
    __asm__ volatile("" : "+r"(addr));      /* hide the constant from the compiler */
    *(volatile u64 *)addr = 0x7e57;
}

void testhooks_run(const char *cmdline)
{
    char what[16];
    if (!cmdline_get(cmdline, "crashtest", what, sizeof(what)))
        return;
    printk("testhooks: faulting on purpose: %s\n", what);
    if (!strcmp(what, "pf")) {
        fault_pf(NULL);
    } else if (!strcmp(what, "ud")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(what, "de")) {
        u32 zero = 0;
        __asm__ volatile("div %2" : "+a"(zero) : "d"(0), "r"(zero));
    } else if (!strcmp(what, "gp")) {
        u64 addr = 0x8000000000000000ull;       /* non-canonical */
        __asm__ volatile("" : "+r"(addr));
        (void)*(volatile u64 *)addr;
    } else if (!strcmp(what, "df")) {
        /* A stack that is not mapped: the #PF cannot be delivered, #DF runs on its IST. */
        __asm__ volatile("mov $0x1000, %%rsp\n\tpush %%rax" ::: "memory");
    } else if (!strcmp(what, "hang")) {
        __asm__ volatile("cli");
        for (;;)
            __asm__ volatile("pause");
    } else if (!strcmp(what, "panic")) {
        panic("testhooks: deliberate panic");
    } else if (!strcmp(what, "ap-pf")) {
        if (nr_cpus_online < 2)
            panic("testhooks: ap-pf needs a second CPU");
        ipi_call(1, fault_pf, NULL);
    }
    printk("testhooks: unknown crashtest '%s'\n", what);
}
