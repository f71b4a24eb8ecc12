/*
 * elf.h - reading a guest kernel: an ELF64 x86-64 executable with Xen's ELF
 * notes (the PV boot protocol).  elf_parse() validates everything the
 * builder will rely on (headers, segments inside the file, notes) before the
 * builder touches guest memory.
 */
#ifndef TERN_ELF_H
#define TERN_ELF_H

#include "types.h"

#define ELF_MAX_LOADS   16
#define UNSET_ADDR      (~0ull)

struct elf_load {
    u64 offset, filesz, memsz;
    u64 paddr;                          /* p_paddr: where the builder places it */
};

struct elf_info {
    const u8 *image;
    u64 size;
    unsigned int nr_loads;
    struct elf_load loads[ELF_MAX_LOADS];
    u64 paddr_lo, paddr_hi;             /* span of the loads (p_paddr) */
    u64 e_entry;

    /* Xen notes */
    bool has_xen_notes;
    u64 entry;                          /* XEN_ELFNOTE_ENTRY (else e_entry) */
    u64 virt_base;                      /* XEN_ELFNOTE_VIRT_BASE (else 0) */
    u64 paddr_offset;                   /* XEN_ELFNOTE_PADDR_OFFSET (else virt_base) */
    u64 hypercall_page;                 /* UNSET_ADDR if none */
    u64 init_p2m;                       /* UNSET_ADDR if none */
    bool mod_start_pfn;
    char guest_os[32];
    char loader[32];
};

/* 0, or -1 with a message naming the problem in err. */
int elf_parse(const void *image, u64 size, struct elf_info *info, char *err, size_t errlen);

/* Guest virtual address of a load's first byte: virt_base + paddr - paddr_offset. */
static inline u64 elf_load_va(const struct elf_info *e, u64 paddr)
{
    return e->virt_base + paddr - e->paddr_offset;
}

#endif
