/*
 * acpi.c - finding the CPUs: RSDP -> RSDT/XSDT -> MADT.
 *
 * The RSDP comes from the boot loader (PVH rsdp_paddr, a multiboot2 ACPI
 * tag) or from the BIOS areas (the first KiB of the EBDA, 0xe0000-0xfffff).
 * Every table's length and checksum is checked before it is read.  Runs
 * on the boot page tables, where physical memory below 4 GiB is reachable.
 */
#include "acpi.h"
#include "layout.h"
#include "lib.h"
#include "console.h"

struct __packed rsdp {
    char sig[8];
    u8 checksum;
    char oem[6];
    u8 revision;
    u32 rsdt;
    u32 length;
    u64 xsdt;
    u8 xchecksum;
    u8 reserved[3];
};

struct __packed sdt_header {
    char sig[4];
    u32 length;
    u8 revision;
    u8 checksum;
    char oem[6];
    char oem_table[8];
    u32 oem_rev;
    u32 creator;
    u32 creator_rev;
};

struct acpi_info acpi_info;

static const void *phys(u64 pa, u64 len)
{
    if (pa == 0 || pa >= GiB(4) || len > GiB(4) - pa)
        return NULL;
    return (const void *)(HV_VIRT_BASE + pa);
}

static bool checksum_ok(const void *p, u64 len)
{
    u8 sum = 0;
    for (u64 i = 0; i < len; i++)
        sum += ((const u8 *)p)[i];
    return sum == 0;
}

static const struct rsdp *check_rsdp(u64 pa)
{
    const struct rsdp *r = phys(pa, 20);
    if (!r || memcmp(r->sig, "RSD PTR ", 8) || !checksum_ok(r, 20))
        return NULL;
    return r;
}

static u64 scan_rsdp(u64 start, u64 len)
{
    for (u64 pa = start; pa + 20 <= start + len; pa += 16)
        if (check_rsdp(pa))
            return pa;
    return 0;
}

static const struct sdt_header *table(u64 pa)
{
    const struct sdt_header *h = phys(pa, sizeof(*h));
    if (!h || h->length < sizeof(*h) || h->length > MiB(1))
        return NULL;
    if (!phys(pa, h->length) || !checksum_ok(h, h->length))
        return NULL;
    return h;
}

static void parse_madt(const struct sdt_header *h)
{
    const u8 *p = (const u8 *)h;
    u64 len = h->length;
    if (len < sizeof(*h) + 8)
        return;
    acpi_info.lapic_addr = *(const u32 *)(p + sizeof(*h));
    for (unsigned int i = 0; i < 16; i++)
        acpi_info.isa_gsi[i] = i;           /* unless overridden below */
    for (u64 off = sizeof(*h) + 8; off + 2 <= len;) {
        u8 type = p[off], elen = p[off + 1];
        if (elen < 2 || off + elen > len)
            break;
        const u8 *e = p + off;
        u32 apic = 0, uid = 0, flags = 0;
        bool cpu = false;
        if (type == 0 && elen >= 8) {           /* processor local APIC */
            uid = e[2];
            apic = e[3];
            memcpy(&flags, e + 4, 4);
            cpu = true;
        } else if (type == 9 && elen >= 16) {   /* processor local x2APIC */
            memcpy(&apic, e + 4, 4);
            memcpy(&flags, e + 8, 4);
            memcpy(&uid, e + 12, 4);
            cpu = true;
        } else if (type == 1 && elen >= 12 && !acpi_info.ioapic_addr) {
            u32 a;
            memcpy(&a, e + 4, 4);
            acpi_info.ioapic_addr = a;
            memcpy(&acpi_info.ioapic_gsi_base, e + 8, 4);
        } else if (type == 2 && elen >= 10 && e[2] == 0 && e[3] < 16) {
            /* interrupt source override of an ISA IRQ */
            memcpy(&acpi_info.isa_gsi[e[3]], e + 4, 4);
            memcpy(&acpi_info.isa_flags[e[3]], e + 8, 2);
        } else if (type == 5 && elen >= 12) {   /* 64-bit LAPIC address override */
            memcpy(&acpi_info.lapic_addr, e + 4, 8);
        }
        /* bit 0: enabled; bit 1: online capable (may be hot-added: not used) */
        if (cpu && (flags & 1)) {
            bool dup = false;
            for (unsigned int i = 0; i < acpi_info.nr_cpus && i < ACPI_MAX_CPUS; i++)
                if (acpi_info.apic_ids[i] == apic)
                    dup = true;
            if (!dup) {
                if (acpi_info.nr_cpus < ACPI_MAX_CPUS) {
                    acpi_info.apic_ids[acpi_info.nr_cpus] = apic;
                    acpi_info.acpi_ids[acpi_info.nr_cpus] = uid;
                }
                acpi_info.nr_cpus++;
            }
        }
        off += elen;
    }
}

void acpi_init(const struct boot_info *bi)
{
    u64 pa = 0;
    if (bi->rsdp && check_rsdp(bi->rsdp))
        pa = bi->rsdp;
    if (!pa) {
        const u16 *ebda_seg = phys(0x40e, 2);
        if (ebda_seg && *ebda_seg)
            pa = scan_rsdp((u64)*ebda_seg << 4, 1024);
    }
    if (!pa)
        pa = scan_rsdp(0xe0000, 0x20000);
    if (!pa)
        return;
    const struct rsdp *r = check_rsdp(pa);
    acpi_info.rsdp = pa;
    memcpy(acpi_info.oem, r->oem, 6);

    bool x = r->revision >= 2 && r->xsdt && phys(pa, 36) && checksum_ok(r, 36);
    const struct sdt_header *root = table(x ? r->xsdt : r->rsdt);
    if (!root)
        return;
    acpi_info.found = true;
    unsigned int esize = x ? 8 : 4;
    u64 n = (root->length - sizeof(*root)) / esize;
    const u8 *ents = (const u8 *)(root + 1);
    for (u64 i = 0; i < n; i++) {
        u64 tpa = 0;
        memcpy(&tpa, ents + i * esize, esize);
        const struct sdt_header *t = table(tpa);
        if (t && !memcmp(t->sig, "APIC", 4))
            parse_madt(t);
    }
}
