/*
 * elf.c - parsing guest kernels (elf.h).
 *
 * Checked: the ELF identification (64-bit, little-endian, x86-64,
 * executable), program headers inside the file, every PT_LOAD inside the file
 * with filesz <= memsz and no address overflow, notes well-formed.  A kernel
 * with no Xen note is refused: it is not a PV kernel.  Addresses follow
 * Xen's loader: a segment goes to virt_base + p_paddr - paddr_offset, where
 * virt_base is the VIRT_BASE note and paddr_offset the PADDR_OFFSET note,
 * both 0 when absent.
 */
#include "elf.h"
#include "lib.h"
#include "xen_abi.h"

#define EM_X86_64   62
#define ET_EXEC     2
#define PT_LOAD     1
#define PT_NOTE     4

struct elf64_ehdr {
    u8 ident[16];
    u16 type, machine;
    u32 version;
    u64 entry, phoff, shoff;
    u32 flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    u32 type, flags;
    u64 offset, vaddr, paddr, filesz, memsz, align;
};

static bool in_file(u64 off, u64 len, u64 size)
{
    return off <= size && len <= size - off;
}

static u64 note_num(const u8 *desc, u32 len)
{
    if (len == 8) { u64 v; memcpy(&v, desc, 8); return v; }
    if (len == 4) { u32 v; memcpy(&v, desc, 4); return v; }
    return UNSET_ADDR;
}

static void note_str(char *dst, size_t cap, const u8 *desc, u32 len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, desc, n);
    dst[n] = '\0';
    dst[strnlen(dst, n)] = '\0';
}

static int parse_notes(const u8 *p, u64 len, struct elf_info *e, char *err, size_t errlen,
                       bool *have_vbase, bool *have_poff)
{
    u64 off = 0;
    while (len - off >= 12) {
        u32 namesz, descsz, type;
        memcpy(&namesz, p + off, 4);
        memcpy(&descsz, p + off + 4, 4);
        memcpy(&type, p + off + 8, 4);
        u64 name_off = off + 12;
        u64 desc_off = name_off + ALIGN_UP((u64)namesz, 4);
        u64 next = desc_off + ALIGN_UP((u64)descsz, 4);
        if (desc_off > len || next > len || next < desc_off) {
            snprintf(err, errlen, "kernel image corrupt: an ELF note runs past its segment");
            return -1;
        }
        const u8 *desc = p + desc_off;
        if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0) {
            e->has_xen_notes = true;
            switch (type) {
            case XEN_ELFNOTE_ENTRY: e->entry = note_num(desc, descsz); break;
            case XEN_ELFNOTE_HYPERCALL_PAGE: e->hypercall_page = note_num(desc, descsz); break;
            case XEN_ELFNOTE_VIRT_BASE: e->virt_base = note_num(desc, descsz); *have_vbase = true; break;
            case XEN_ELFNOTE_PADDR_OFFSET: e->paddr_offset = note_num(desc, descsz); *have_poff = true; break;
            case XEN_ELFNOTE_INIT_P2M: e->init_p2m = note_num(desc, descsz); break;
            case XEN_ELFNOTE_MOD_START_PFN: e->mod_start_pfn = note_num(desc, descsz) != 0; break;
            case XEN_ELFNOTE_GUEST_OS: note_str(e->guest_os, sizeof(e->guest_os), desc, descsz); break;
            case XEN_ELFNOTE_LOADER: note_str(e->loader, sizeof(e->loader), desc, descsz); break;
            }
        }
        off = next;
    }
    return 0;
}

int elf_parse(const void *image, u64 size, struct elf_info *e, char *err, size_t errlen)
{
    const u8 *p = image;
    memset(e, 0, sizeof(*e));
    e->image = p;
    e->size = size;
    e->entry = e->hypercall_page = e->init_p2m = UNSET_ADDR;

    struct elf64_ehdr h;
    if (size < sizeof(h) || memcmp(p, "\177ELF", 4) != 0) {
        snprintf(err, errlen, "kernel image is not an ELF file");
        return -1;
    }
    memcpy(&h, p, sizeof(h));
    if (h.ident[4] != 2 || h.ident[5] != 1 || h.machine != EM_X86_64 || h.type != ET_EXEC) {
        snprintf(err, errlen, "kernel image is not a 64-bit x86-64 ELF executable");
        return -1;
    }
    if (h.phentsize != sizeof(struct elf64_phdr) || h.phnum == 0 ||
        !in_file(h.phoff, (u64)h.phnum * sizeof(struct elf64_phdr), size)) {
        snprintf(err, errlen, "kernel image corrupt: program headers outside the file");
        return -1;
    }
    e->e_entry = h.entry;
    e->paddr_lo = ~0ull;
    bool have_vbase = false, have_poff = false;

    for (unsigned int i = 0; i < h.phnum; i++) {
        struct elf64_phdr ph;
        memcpy(&ph, p + h.phoff + (u64)i * sizeof(ph), sizeof(ph));
        if (ph.type == PT_NOTE) {
            if (!in_file(ph.offset, ph.filesz, size)) {
                snprintf(err, errlen, "kernel image corrupt: note segment outside the file");
                return -1;
            }
            if (parse_notes(p + ph.offset, ph.filesz, e, err, errlen, &have_vbase, &have_poff))
                return -1;
            continue;
        }
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (!in_file(ph.offset, ph.filesz, size)) {
            snprintf(err, errlen, "kernel image truncated: segment %u needs bytes %#llx-%#llx, the file has %#llx",
                     i, (unsigned long long)ph.offset, (unsigned long long)(ph.offset + ph.filesz),
                     (unsigned long long)size);
            return -1;
        }
        if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr) {
            snprintf(err, errlen, "kernel image corrupt: bad sizes in segment %u", i);
            return -1;
        }
        if (e->nr_loads == ELF_MAX_LOADS) {
            snprintf(err, errlen, "kernel image has more than %d loadable segments", ELF_MAX_LOADS);
            return -1;
        }
        e->loads[e->nr_loads++] = (struct elf_load){ ph.offset, ph.filesz, ph.memsz, ph.paddr };
        if (ph.paddr < e->paddr_lo)
            e->paddr_lo = ph.paddr;
        if (ph.paddr + ph.memsz > e->paddr_hi)
            e->paddr_hi = ph.paddr + ph.memsz;
    }
    if (!e->nr_loads) {
        snprintf(err, errlen, "kernel image has no loadable segment");
        return -1;
    }
    if (!e->has_xen_notes) {
        snprintf(err, errlen, "kernel image has no Xen ELF notes: not a Xen PV kernel");
        return -1;
    }
    if (!have_vbase)
        e->virt_base = 0;
    if (!have_poff)
        e->paddr_offset = 0;            /* Xen's default with ELF notes */
    if (e->paddr_lo < e->paddr_offset) {
        snprintf(err, errlen, "kernel image places a segment below PADDR_OFFSET");
        return -1;
    }
    if (e->entry == UNSET_ADDR)
        e->entry = e->e_entry;
    return 0;
}
