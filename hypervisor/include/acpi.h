/* acpi.h - what Tern reads from the firmware's ACPI tables (arch/x86_64/acpi.c). */
#ifndef TERN_ACPI_H
#define TERN_ACPI_H

#include "types.h"
#include "bootinfo.h"

#define ACPI_MAX_CPUS   256

struct acpi_info {
    bool found;
    u64 rsdp;
    char oem[7];
    unsigned int nr_cpus;           /* enabled local APICs of the MADT */
    u32 apic_ids[ACPI_MAX_CPUS];
    u32 acpi_ids[ACPI_MAX_CPUS];
    u64 lapic_addr;
    u64 ioapic_addr;                /* the first I/O APIC (0: none) */
    u32 ioapic_gsi_base;
    /* ISA IRQ n arrives at GSI isa_gsi[n]; isa_flags[n] is the MADT's MPS
     * INTI flags (polarity bits 0-1, trigger bits 2-3; 0 = the ISA default). */
    u32 isa_gsi[16];
    u16 isa_flags[16];
};

extern struct acpi_info acpi_info;

/* Parse RSDP/XSDT/MADT; runs on the boot page tables (below 4 GiB). */
void acpi_init(const struct boot_info *bi);

#endif
