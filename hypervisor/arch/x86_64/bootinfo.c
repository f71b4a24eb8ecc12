/*
 * bootinfo.c - reading the PVH start info or the multiboot2 information.
 *
 * Runs on the boot page tables, where physical memory below 4 GiB is at
 * HV_VIRT_BASE + address.  Every structure the loader handed over is
 * bounds-checked against that window and copied into struct boot_info.
 */
#include "bootinfo.h"
#include "layout.h"
#include "lib.h"
#include <xen/arch-x86/hvm/start_info.h>

#define MB2_BOOT_MAGIC   0x36d76289
#define MB2_TAG_END      0
#define MB2_TAG_CMDLINE  1
#define MB2_TAG_MODULE   3
#define MB2_TAG_MMAP     6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define BOOT_WINDOW     GiB(4)

struct boot_info boot_info;

static const void *early_ptr(u64 pa, u64 len)
{
    if (pa == 0 || pa >= BOOT_WINDOW || len > BOOT_WINDOW - pa)
        return NULL;
    return (const void *)(HV_VIRT_BASE + pa);
}

static void copy_cmdline(struct boot_info *bi, u64 pa)
{
    const char *s = early_ptr(pa, 1);
    if (!s)
        return;
    size_t i = 0;
    while (i + 1 < sizeof(bi->cmdline) && (u64)i < BOOT_WINDOW - pa - 1 && s[i]) {
        bi->cmdline[i] = s[i];
        i++;
    }
    bi->cmdline[i] = '\0';
}

static void add_mem(struct boot_info *bi, u64 start, u64 len, u32 type)
{
    if (bi->nr_mem < BOOT_MEM_MAX && len && start + len > start) {
        bi->mem[bi->nr_mem].start = start;
        bi->mem[bi->nr_mem].end = start + len;
        bi->mem[bi->nr_mem].type = type;
        bi->nr_mem++;
    }
}

static void add_module(struct boot_info *bi, u64 start, u64 size)
{
    if (bi->nr_modules < BOOT_MOD_MAX) {
        bi->modules[bi->nr_modules].start = start;
        bi->modules[bi->nr_modules].size = size;
        bi->nr_modules++;
    }
}

static bool parse_pvh(u32 info, struct boot_info *bi)
{
    const struct hvm_start_info *si = early_ptr(info, sizeof(*si));
    if (!si || si->magic != XEN_HVM_START_MAGIC_VALUE)
        return false;
    bi->protocol = "PVH";
    copy_cmdline(bi, si->cmdline_paddr);
    bi->rsdp = si->rsdp_paddr;
    if (si->version >= 1 && si->memmap_entries) {
        const struct hvm_memmap_table_entry *mm =
            early_ptr(si->memmap_paddr, (u64)si->memmap_entries * sizeof(*mm));
        for (u32 i = 0; mm && i < si->memmap_entries; i++)
            add_mem(bi, mm[i].addr, mm[i].size, mm[i].type);
    }
    const struct hvm_modlist_entry *mods =
        early_ptr(si->modlist_paddr, (u64)si->nr_modules * sizeof(*mods));
    for (u32 i = 0; mods && i < si->nr_modules; i++)
        add_module(bi, mods[i].paddr, mods[i].size);
    return true;
}

static bool parse_mb2(u32 info, struct boot_info *bi)
{
    const u32 *hdr = early_ptr(info, 8);
    if (!hdr)
        return false;
    u32 total = hdr[0];
    const u8 *base = early_ptr(info, total);
    if (!base || total < 16)
        return false;
    bi->protocol = "multiboot2";

    for (u32 off = 8; off + 8 <= total;) {
        const u32 *tag = (const u32 *)(base + off);
        u32 type = tag[0], size = tag[1];
        if (type == MB2_TAG_END || size < 8 || size > total - off)
            break;
        const u8 *body = base + off + 8;
        u32 blen = size - 8;
        switch (type) {
        case MB2_TAG_CMDLINE: {
            size_t n = strnlen((const char *)body, blen);
            if (n >= sizeof(bi->cmdline))
                n = sizeof(bi->cmdline) - 1;
            memcpy(bi->cmdline, body, n);
            bi->cmdline[n] = '\0';
            break;
        }
        case MB2_TAG_MODULE:
            if (blen >= 8) {
                u32 start = ((const u32 *)body)[0], end = ((const u32 *)body)[1];
                if (end > start)
                    add_module(bi, start, end - start);
            }
            break;
        case MB2_TAG_MMAP:
            if (blen >= 8) {
                u32 esize = ((const u32 *)body)[0];
                if (esize < 20)
                    break;
                for (u32 e = 8; e + esize <= blen; e += esize) {
                    const u8 *ent = body + e;
                    u64 addr, len;
                    u32 t;
                    memcpy(&addr, ent, 8);
                    memcpy(&len, ent + 8, 8);
                    memcpy(&t, ent + 16, 4);
                    add_mem(bi, addr, len, t);
                }
            }
            break;
        case MB2_TAG_ACPI_OLD:
        case MB2_TAG_ACPI_NEW:
            /* The tag holds a copy of the RSDP; remember where it is. */
            if (!bi->rsdp || type == MB2_TAG_ACPI_NEW)
                bi->rsdp = info + off + 8;
            break;
        }
        off += ALIGN_UP(size, 8);
    }
    return true;
}

bool bootinfo_parse(u32 magic, u32 info, struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    bool ok = false;
    if (magic == XEN_HVM_START_MAGIC_VALUE)
        ok = parse_pvh(info, bi);
    else if (magic == MB2_BOOT_MAGIC)
        ok = parse_mb2(info, bi);
    if (ok)
        bootinfo_sort_memmap(bi);
    return ok;
}

const char *mem_type_name(u32 type)
{
    switch (type) {
    case MEM_RAM: return "RAM";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI: return "ACPI data";
    case MEM_NVS: return "ACPI NVS";
    case MEM_BAD: return "bad";
    default: return "other";
    }
}
