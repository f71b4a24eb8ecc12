/*
 * main.c - the hypervisor's boot sequence, from boot.S to the first domain.
 *
 *   banner -> boot info -> memory map -> ACPI -> page tables, frame
 *   allocator, heap -> CPU 0 (GDT, IDT, APIC) -> TSC -> APs -> boot bundle
 *   and system config -> domains -> idle.
 *
 * Anything wrong with what we were given (no bundle, a corrupt one, a bad
 * config, too little RAM, too many CPUs) ends in fatal_input(): a message
 * naming the problem and exit status HV_EXIT_BAD_INPUT.
 */
#include "acpi.h"
#include "builder.h"
#include "bootinfo.h"
#include "bundle.h"
#include "cmdline.h"
#include "config.h"
#include "console.h"
#include "frame.h"
#include "heap.h"
#include "lib.h"
#include "mm_init.h"
#include "mm.h"
#include "sched.h"
#include "panic.h"
#include "percpu.h"
#include "softirq.h"
#include "testhooks.h"
#include "time.h"
#include "timer.h"
#include "version.h"
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/mm.h"
#include "arch/smp.h"
#include "arch/pv.h"

static char hv_cmdline[BOOT_CMDLINE_MAX + CFG_CMDLINE_MAX + 2];

static const void *bundle_image(struct bundle *b, const char *name, u64 *size)
{
    char path[CFG_NAME_MAX + 8];
    struct bundle_entry e;
    snprintf(path, sizeof(path), BUNDLE_IMAGE_DIR "%s", name);
    if (!bundle_find(b, path, &e))
        return NULL;
    *size = e.size;
    return e.data;
}

static struct tern_config *sys_cfg;
static struct bundle sys_bundle;

/* Build [domain] number i of the config as domain id; false with err set. */
static bool build_from_config(unsigned int i, domid_t id, u64 restarts_done, char *err,
                              size_t errlen)
{
    const struct cfg_domain *cd = &sys_cfg->domains[i];
    struct build_input in = {
        .name = cd->name,
        .id = id,
        .privileged = !strcmp(cd->role, "initial"),
        .memory = cd->memory,
        .vcpus = (unsigned int)cd->vcpus,
        .cmdline = cd->cmdline,
        .sched = { (u32)cd->weight, (u32)cd->cap, cd->cpus },
        .cfg_index = (int)i,
        .restarts_done = restarts_done,
        .restarts_allowed = cd->restarts,
    };
    in.kernel = bundle_image(&sys_bundle, cd->kernel, &in.kernel_size);
    if (cd->ramdisk[0])
        in.ramdisk = bundle_image(&sys_bundle, cd->ramdisk, &in.ramdisk_size);
    return build_pv_domain(&in, err, errlen) != NULL;
}

/* The initial domain (role = initial) gets id 0, the others 1, 2, ... in order. */
static void start_domains(void)
{
    domid_t next_id = 1;
    static char err[256];
    u64 online = 0;
    for (unsigned int c = 0; c < NR_CPUS; c++)
        if (percpu_area[c] && (c == 0 || percpu_area[c]->online))
            online |= 1ull << c;
    for (unsigned int pass = 0; pass < 2; pass++) {
        for (unsigned int i = 0; i < sys_cfg->nr_domains; i++) {
            const struct cfg_domain *cd = &sys_cfg->domains[i];
            bool initial = !strcmp(cd->role, "initial");
            if (initial != (pass == 0))
                continue;
            if (cd->cpus && !(cd->cpus & online))
                fatal_input("%s:%u: domain '%s': cpus names no CPU of this machine (%u online)",
                            BUNDLE_CONFIG_NAME, cd->line, cd->name, nr_cpus_online);
            if (!build_from_config(i, initial ? 0 : next_id++, 0, err, sizeof(err)))
                fatal_input("%s:%u: domain '%s': %s", BUNDLE_CONFIG_NAME, cd->line, cd->name, err);
        }
    }
}

/* ---- restarts: a domain that reboots is built again from its config entry,
 * on CPU 0 in a softirq (domain_maybe_destroy may run anywhere). ---- */

struct restart_req {
    int cfg_index;
    domid_t id;
    u64 restarts_done, restarts_allowed;
};
static struct restart_req restart_queue[MAX_DOMAINS];
static unsigned int restart_head, restart_count;
static DEFINE_SPINLOCK(restart_lock);

void domain_request_restart(int cfg_index, domid_t id, u64 restarts_done, u64 restarts_allowed)
{
    u64 f = spin_lock_irqsave(&restart_lock);
    /* One per live domain id at most: the queue cannot overflow. */
    restart_queue[(restart_head + restart_count++) % MAX_DOMAINS] =
        (struct restart_req){ cfg_index, id, restarts_done, restarts_allowed };
    spin_unlock_irqrestore(&restart_lock, f);
    softirq_raise_on(0, SOFTIRQ_BUILD);
}

static void run_restarts(void)
{
    static char err[256];
    for (;;) {
        u64 f = spin_lock_irqsave(&restart_lock);
        if (!restart_count) {
            spin_unlock_irqrestore(&restart_lock, f);
            return;
        }
        struct restart_req r = restart_queue[restart_head];
        restart_head = (restart_head + 1) % MAX_DOMAINS;
        restart_count--;
        spin_unlock_irqrestore(&restart_lock, f);
        const char *name = sys_cfg->domains[r.cfg_index].name;
        printk("Tern: restarting domain %u (%s), restart %llu of %llu\n", r.id, name,
               (unsigned long long)r.restarts_done, (unsigned long long)r.restarts_allowed);
        bool ok = build_from_config((unsigned int)r.cfg_index, r.id, r.restarts_done, err,
                                    sizeof(err));
        if (!ok)
            printk("Tern: domain %u (%s) could not be restarted: %s\n", r.id, name, err);
        domain_restart_done(ok);
    }
}

static void print_memmap(const struct boot_info *bi)
{
    printk("Memory map (%s):\n", bi->protocol);
    for (unsigned int i = 0; i < bi->nr_mem; i++)
        printk("  %016llx - %016llx  %s\n", (unsigned long long)bi->mem[i].start,
               (unsigned long long)bi->mem[i].end, mem_type_name(bi->mem[i].type));
}

extern bool hypercall_trace, guest_console_io;

static void apply_cmdline(void)
{
    char v[16];
    hypercall_trace = cmdline_has(hv_cmdline, "hypercall_trace");
    guest_console_io = cmdline_has(hv_cmdline, "guest_console_io");
    if (cmdline_get(hv_cmdline, "loglevel", v, sizeof(v))) {
        if (!strcmp(v, "debug")) console_loglevel = LOG_DEBUG;
        else if (!strcmp(v, "info")) console_loglevel = LOG_INFO;
        else if (!strcmp(v, "warn")) console_loglevel = LOG_WARN;
        else if (!strcmp(v, "error")) console_loglevel = LOG_ERR;
    }
}

static struct tern_config *load_config(const struct boot_info *bi, struct bundle *b)
{
    static char err[256];
    if (bi->nr_modules == 0)
        fatal_input("no boot bundle: the boot loader passed no module (tern bundle CONFIG -o FILE builds one)");
    const struct boot_module *m = &bi->modules[0];
    if (bundle_open(b, maddr_to_virt(m->start), m->size, err, sizeof(err)) < 0)
        fatal_input("%s", err);

    printk("Boot bundle: %llu bytes at %#llx, %u entries:\n", (unsigned long long)m->size,
           (unsigned long long)m->start, b->nr_entries);
    for (unsigned int i = 0; i < b->nr_entries; i++) {
        struct bundle_entry e;
        bundle_entry_at(b, i, &e);
        if ((e.mode & 0170000) == 0100000)
            printk("  %-40s %10llu bytes\n", e.name, (unsigned long long)e.size);
    }

    struct bundle_entry ce;
    if (!bundle_find(b, BUNDLE_CONFIG_NAME, &ce))
        fatal_input("the boot bundle has no %s", BUNDLE_CONFIG_NAME);
    struct tern_config *cfg = xzalloc(sizeof(*cfg));
    if (!cfg)
        panic("no memory for the config");
    if (config_parse((const char *)ce.data, ce.size, BUNDLE_CONFIG_NAME, cfg, err, sizeof(err)) < 0)
        fatal_input("%s", err);

    for (unsigned int i = 0; i < cfg->nr_images; i++) {
        char path[CFG_NAME_MAX + 8];
        struct bundle_entry ie;
        snprintf(path, sizeof(path), BUNDLE_IMAGE_DIR "%s", cfg->images[i].name);
        if (!bundle_find(b, path, &ie))
            fatal_input("%s:%u: image '%s' is missing from the boot bundle (no %s)",
                        BUNDLE_CONFIG_NAME, cfg->images[i].line, cfg->images[i].name, path);
    }
    printk("System config: %u image%s, %u domain%s\n", cfg->nr_images,
           cfg->nr_images == 1 ? "" : "s", cfg->nr_domains, cfg->nr_domains == 1 ? "" : "s");
    for (unsigned int i = 0; i < cfg->nr_domains; i++) {
        const struct cfg_domain *d = &cfg->domains[i];
        printk("  domain %-16s kernel %s%s%s, %llu MiB, %llu vCPU%s\n", d->name, d->kernel,
               d->ramdisk[0] ? ", ramdisk " : "", d->ramdisk,
               (unsigned long long)(d->memory >> 20), (unsigned long long)d->vcpus,
               d->vcpus == 1 ? "" : "s");
    }
    return cfg;
}

void start_tern(u32 magic, u32 info) __noreturn;
void start_tern(u32 magic, u32 info)
{
    tsc_at_boot = rdtsc();
    console_init();
    printk("\nTern hypervisor %s (%s)\n", TERN_VERSION, TERN_BUILD_KIND);

    if (!bootinfo_parse(magic, info, &boot_info))
        fatal_input("unknown boot protocol (magic %#x): boot Tern through PVH or multiboot2", magic);
    strlcpy(hv_cmdline, boot_info.cmdline, sizeof(hv_cmdline));
    apply_cmdline();
    printk("Command line: %s\n", boot_info.cmdline[0] ? boot_info.cmdline : "(empty)");
    print_memmap(&boot_info);

    acpi_init(&boot_info);
    mm_init(&boot_info);
    printk("RAM: %llu MiB usable, %llu frames free, frame table %llu entries\n",
           (unsigned long long)(ram_total_bytes >> 20),
           (unsigned long long)frames_free_count(), (unsigned long long)frame_table_size);

    smp_prepare_bsp();
    idt_init();
    apic_init_bsp();
    cpu_init(this_cpu());
    softirq_register(SOFTIRQ_TIMER, timer_run_expired);
    time_init();
    rtc_init();

    if (acpi_info.found)
        printk("ACPI: RSDP at %#llx (%s), %u CPU%s in the MADT\n",
               (unsigned long long)acpi_info.rsdp, acpi_info.oem, acpi_info.nr_cpus,
               acpi_info.nr_cpus == 1 ? "" : "s");
    else
        printk("ACPI: no tables found, running on the boot CPU only\n");
    printk("CPU 0 online (APIC ID %u, %s)\n", this_cpu()->arch.apic_id,
           apic_is_x2apic() ? "x2APIC" : "xAPIC");
    unsigned int n = smp_boot_aps();
    printk("%u of %u CPU%s online\n", n, nr_cpus_possible, nr_cpus_possible == 1 ? "" : "s");
    m2p_init();
    sched_init();
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
        if (percpu_area[cpu] && (cpu == 0 || percpu_area[cpu]->online))
            sched_init_cpu(cpu);
    __asm__ volatile("sti");

    struct tern_config *cfg = sys_cfg = load_config(&boot_info, &sys_bundle);
    if (cfg->hv_cmdline[0]) {
        size_t l = strlen(hv_cmdline);
        snprintf(hv_cmdline + l, sizeof(hv_cmdline) - l, "%s%s", l ? " " : "", cfg->hv_cmdline);
        apply_cmdline();
    }
    testhooks_run(hv_cmdline);

    printk("Tern: boot complete in %llu ms\n", (unsigned long long)(now() / 1000000));
    if (cfg->nr_domains == 0) {
        printk("Tern: no domains to run; powering off\n");
        machine_exit(HV_EXIT_OK);
    }
    softirq_register(SOFTIRQ_BUILD, run_restarts);
    char v[16];
    u64 stall = 0;
    if (cmdline_get(hv_cmdline, "stall_dump", v, sizeof(v)))
        parse_u64(v, strlen(v), &stall);
    stall_dump_init((unsigned int)stall);
    console_input_init();
    start_domains();
    cpu_idle_loop();
}
