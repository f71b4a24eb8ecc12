/*
 * bootinfo.h - what the boot loader told us, copied out of its structures
 * before anything can overwrite them (arch/x86_64/bootinfo.c fills it from
 * PVH start info or multiboot2).
 */
#ifndef TERN_BOOTINFO_H
#define TERN_BOOTINFO_H

#include "types.h"

#define BOOT_MEM_MAX        128
#define BOOT_MOD_MAX        8
#define BOOT_CMDLINE_MAX    1024

enum { MEM_RAM = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_BAD = 5 };

struct boot_mem_range {
    u64 start, end;             /* [start, end) bytes */
    u32 type;                   /* MEM_* (e820 numbering) */
};

struct boot_module {
    u64 start, size;            /* physical */
};

struct boot_info {
    const char *protocol;
    char cmdline[BOOT_CMDLINE_MAX];
    unsigned int nr_mem;
    struct boot_mem_range mem[BOOT_MEM_MAX];
    unsigned int nr_modules;
    struct boot_module modules[BOOT_MOD_MAX];
    u64 rsdp;                   /* physical address of the ACPI RSDP, 0 if unknown */
};

extern struct boot_info boot_info;

/* Fill boot_info from the boot loader's structures; false if unrecognised. */
bool bootinfo_parse(u32 magic, u32 info, struct boot_info *bi);
/* Sort and merge the memory map. */
void bootinfo_sort_memmap(struct boot_info *bi);
const char *mem_type_name(u32 type);

#endif
