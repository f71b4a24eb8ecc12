/*
 * pv/segments.c - a PV guest's segments: its own GDT (set_gdt,
 * update_descriptor), FS/GS bases (set_segment_base), and the descriptor
 * rules that keep ring 0 out of its reach.
 *
 * Descriptor rules (Xen's, for 64-bit PV guests): a not-present descriptor
 * is harmless; code and data segments are accepted with their DPL raised to
 * 3; among system descriptors only type 0 (the upper half of a 16-byte gate)
 * and call gates to a guest or flat-kernel selector are accepted, a call
 * gate with DPL 0 (so using it faults and can be emulated); anything else
 * (TSS, LDT, interrupt or trap gates) is refused with -EINVAL.
 */
#include "arch/pv.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/extable.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "percpu.h"

#define SEG_TYPE    (15u << 8)
#define SEG_S       (1u << 12)
#define SEG_DPL     (3u << 13)
#define SEG_P       (1u << 15)

static const u8 zero_gdt_page[PAGE_SIZE] __aligned(PAGE_SIZE);

static bool gate_selector_ok(u16 sel)
{
    return (sel >> 3) < FIRST_RESERVED_GDT_PAGE * 512 || sel == FLAT_KERNEL_CS || (sel & 4);
}

bool pv_check_descriptor(u64 *desc)
{
    u32 a = (u32)*desc, b = (u32)(*desc >> 32);

    if (!(b & SEG_P))
        return true;
    b |= SEG_DPL;                               /* DPL 0-2 become 3 */
    if (!(b & SEG_S)) {
        if ((b & SEG_TYPE) == 0)
            return true;
        if ((b & SEG_TYPE) != 0xc00)            /* only call gates */
            return false;
        u16 cs = (u16)(a >> 16);
        if (!gate_selector_ok(cs))
            return false;
        unsigned int dpl = (b >> 13) & 3;
        b &= ~SEG_DPL;                          /* DPL 0: use faults, can be emulated */
        cs = (u16)((cs & ~3) | dpl);
        a = (a & 0xffff) | ((u32)cs << 16);
        if (b & 0xff)
            return false;
    }
    *desc = ((u64)b << 32) | a;
    return true;
}

int validate_seg_desc_page(struct page_info *pg)
{
    u64 *d = mfn_to_virt(page_to_mfn(pg));
    for (unsigned int i = 0; i < 512; i++)
        if (!pv_check_descriptor(&d[i]))
            return -EINVAL;
    return 0;
}

/* ---- the GDT window of this CPU ---- */

/* The frames in this CPU's window; those from loaded_nr on are all 0 (as a
 * vCPU's gdt_frames past its (gdt_ents + 511) / 512 are), so a switch looks
 * only at the frames either GDT uses. */
static u64 loaded_gdt[NR_CPUS][NR_GUEST_GDT_FRAMES];
static unsigned int loaded_nr[NR_CPUS];

void pv_load_gdt(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();
    unsigned int nr = v ? (v->arch.gdt_ents + 511) / 512 : 0;
    unsigned int upto = MAX(nr, loaded_nr[cpu]);
    u64 win = GDTWIN_VIRT_START + (u64)cpu * GDTWIN_SIZE;
    for (unsigned int i = 0; i < upto; i++) {
        u64 want = i < nr ? v->arch.gdt_frames[i] : 0;
        if (loaded_gdt[cpu][i] == want)
            continue;
        paddr_t pa = want ? want << PAGE_SHIFT : virt_to_maddr(zero_gdt_page);
        map_pages(win + i * PAGE_SIZE, pa, 1, (want ? PTE_W : 0) | PTE_NX);
        loaded_gdt[cpu][i] = want;
    }
    loaded_nr[cpu] = nr;
}

static void destroy_gdt(struct vcpu *v)
{
    for (unsigned int i = 0; i < NR_GUEST_GDT_FRAMES; i++) {
        if (v->arch.gdt_frames[i])
            put_page_and_type(mfn_to_page(_mfn(v->arch.gdt_frames[i])));
        v->arch.gdt_frames[i] = 0;
    }
    v->arch.gdt_ents = 0;
}

/* Also used by VCPUOP_initialise and domain teardown. */
int pv_set_gdt(struct vcpu *v, const u64 *frames, unsigned int entries)
{
    unsigned int nr = (entries + 511) / 512, i;
    if (entries > FIRST_RESERVED_GDT_PAGE * 512)
        return -EINVAL;
    for (i = 0; i < nr; i++) {
        if (!mfn_valid(_mfn(frames[i])) ||
            get_page_and_type(mfn_to_page(_mfn(frames[i])), v->domain, PGT_seg_desc_page))
            goto fail;
    }
    destroy_gdt(v);
    for (i = 0; i < nr; i++)
        v->arch.gdt_frames[i] = frames[i];
    v->arch.gdt_ents = entries;
    return 0;
fail:
    while (i-- > 0)
        put_page_and_type(mfn_to_page(_mfn(frames[i])));
    return -EINVAL;
}

void pv_destroy_gdt(struct vcpu *v)
{
    destroy_gdt(v);
    pv_destroy_ldt(v);
}

/*
 * ---- the LDT ----
 * As Xen: MMUEXT_SET_LDT records a guest address and an entry count; a page
 * of it is taken (descriptor type: validated, no longer writable by the
 * guest) and mapped into this CPU's LDT window when the CPU first touches it
 * (a #PF in the window).  LDTR describes the window.  A page the guest has
 * not mapped, or mapped writable, reaches the guest as the #PF at its own
 * address; an access beyond the entries as #GP(selector).  The window only
 * ever maps the running vCPU's pages.
 */
#define LDT_PAGES 16

static u64 loaded_ldt[NR_CPUS][LDT_PAGES];
static unsigned int loaded_ldt_ents[NR_CPUS];

static u64 ldt_window(unsigned int cpu)
{
    return LDTWIN_VIRT_START + (u64)cpu * LDTWIN_SIZE;
}

static void ldt_window_set(unsigned int cpu, unsigned int i, u64 mfn)
{
    u64 va = ldt_window(cpu) + (u64)i * PAGE_SIZE;
    if (mfn)
        map_pages(va, mfn << PAGE_SHIFT, 1, PTE_W | PTE_NX);   /* the CPU sets accessed bits */
    else
        unmap_pages(va, 1);
    loaded_ldt[cpu][i] = mfn;
}

void pv_load_ldt(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();
    unsigned int ents = v ? v->arch.ldt_ents : 0;
    if (!ents && !loaded_ldt_ents[cpu])
        return;
    for (unsigned int i = 0; i < LDT_PAGES; i++) {
        u64 want = v && (u64)i * 512 < ents ? v->arch.ldt_frames[i] : 0;
        if (loaded_ldt[cpu][i] != want)
            ldt_window_set(cpu, i, want);
    }
    if (ents == loaded_ldt_ents[cpu])
        return;
    u16 sel = 0;
    if (ents) {
        u64 *g = this_cpu()->arch.gdt;
        u64 base = ldt_window(cpu), limit = (u64)ents * 8 - 1;
        unsigned int slot = (LDT_SEL & 0xfff) >> 3;
        g[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x82ull << 40) |
                  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
        g[slot + 1] = base >> 32;
        sel = LDT_SEL;
    }
    __asm__ volatile("lldt %w0" :: "r"(sel) : "memory");
    loaded_ldt_ents[cpu] = ents;
}

void pv_destroy_ldt(struct vcpu *v)
{
    for (unsigned int i = 0; i < LDT_PAGES; i++) {
        if (v->arch.ldt_frames[i])
            put_page_and_type(mfn_to_page(_mfn(v->arch.ldt_frames[i])));
        v->arch.ldt_frames[i] = 0;
    }
    if (v == current)
        pv_load_ldt(v);
}

long pv_set_ldt(struct vcpu *v, u64 base, u32 ents)
{
    if (!ents)
        base = 0;
    bool addr_ok = base < (1ull << 47) || base >= HYPERVISOR_VIRT_END;
    if ((base & (PAGE_SIZE - 1)) || !addr_ok || ents > LDT_PAGES * 512)
        return -EINVAL;
    if (ents == v->arch.ldt_ents && base == v->arch.ldt_base)
        return 0;
    v->arch.ldt_base = base;                /* the caller holds mm_lock */
    v->arch.ldt_ents = ents;
    pv_destroy_ldt(v);
    return 0;
}

/* Take page i of v's LDT and map it here. */
static bool map_ldt_page(struct vcpu *v, unsigned int i)
{
    struct domain *d = v->domain;
    if (!v->arch.ldt_frames[i]) {
        struct page_info *l1pg;
        u64 *pl1e = guest_l1e(v, v->arch.ldt_base + (u64)i * PAGE_SIZE, &l1pg);
        u64 e = pl1e ? *pl1e : 0;
        if (!(e & PTE_P))
            return false;
        u64 mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
        if (!mfn_valid(_mfn(mfn)) ||
            get_page_and_type(mfn_to_page(_mfn(mfn)), d, PGT_seg_desc_page))
            return false;
        v->arch.ldt_frames[i] = mfn;
    }
    ldt_window_set(smp_processor_id(), i, v->arch.ldt_frames[i]);
    return true;
}

bool pv_ldt_fault(struct cpu_regs *regs, u64 cr2)
{
    u64 win = ldt_window(smp_processor_id());
    struct vcpu *v = current;
    if (cr2 < win || cr2 >= win + LDTWIN_SIZE || is_idle_vcpu(v))
        return false;
    u64 offset = cr2 - win;
    bool ok = false;
    if ((offset >> 3) < v->arch.ldt_ents) {
        spin_lock(&v->domain->mm_lock);
        ok = map_ldt_page(v, (unsigned int)(offset >> PAGE_SHIFT));
        spin_unlock(&v->domain->mm_lock);
    }
    if (ok)
        return true;                            /* the instruction runs again */
    if (!(regs->cs & 3))
        return false;                           /* the hypervisor's own load: its fixup */
    if ((offset >> 3) >= v->arch.ldt_ents)
        pv_inject_gp(regs, (u32)((offset & ~3ull) | 4));    /* #GP(selector, TI) */
    else
        pv_inject_page_fault(regs, v->arch.ldt_base + offset, (u32)regs->error_code);
    return true;
}

long do_set_gdt(u64 frame_list, u64 entries, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    u64 frames[NR_GUEST_GDT_FRAMES];
    if ((u32)entries > FIRST_RESERVED_GDT_PAGE * 512)
        return -EINVAL;
    unsigned int nr = ((u32)entries + 511) / 512;
    if (copy_from_guest(frames, frame_list, nr * sizeof(u64)))
        return -EFAULT;
    spin_lock(&v->domain->mm_lock);
    int rc = pv_set_gdt(v, frames, (u32)entries);
    spin_unlock(&v->domain->mm_lock);
    if (!rc)
        pv_load_gdt(v);
    return rc;
}

long do_update_descriptor(u64 maddr, u64 desc, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct domain *d = current->domain;
    if ((maddr & 7) || !pv_check_descriptor(&desc))
        return -EINVAL;
    struct page_info *pg = get_page_from_mfn(maddr >> PAGE_SHIFT, d);
    if (!pg)
        return -EINVAL;
    spin_lock(&d->mm_lock);
    u64 type = (pg->type_info & PGT_type_mask) == PGT_seg_desc_page ? PGT_seg_desc_page
                                                                     : PGT_writable_page;
    int rc = get_page_type(pg, type) ? -EINVAL : 0;
    if (!rc) {
        u64 *entry = (u64 *)((u8 *)mfn_to_virt(page_to_mfn(pg)) + (maddr & (PAGE_SIZE - 1)));
        __atomic_store_n(entry, desc, __ATOMIC_RELEASE);
        put_page_type(pg);
    }
    spin_unlock(&d->mm_lock);
    put_page(pg);
    return rc;
}

long do_set_segment_base(u64 which, u64 base, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct vcpu *v = current;
    switch ((u32)which) {
    case SEGBASE_FS:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_FS_BASE, base);
        return 0;
    case SEGBASE_GS_USER:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_KERNEL_GS_BASE, base);
        v->arch.gs_base_user = base;
        return 0;
    case SEGBASE_GS_KERNEL:
        if (!is_canonical(base))
            return -EINVAL;
        wrmsr(MSR_GS_BASE, base);
        return 0;
    case SEGBASE_GS_USER_SEL: {
        u64 sel = (u16)base;
        if (sel > 3)
            sel |= 3;
        /* Load the user %gs with the guest kernel's GS base swapped away;
         * a bad selector loads the null selector (Linux relies on success). */
        __asm__ volatile("swapgs\n"
                         "1: mov %w0, %%gs\n"
                         "2: swapgs\n"
                         ".pushsection .fixup_text, \"ax\"\n"
                         "3: xor %k0, %k0\n mov %w0, %%gs\n jmp 2b\n"
                         ".popsection\n"
                         ASM_EXTABLE(1b, 3b)
                         : "+r"(sel) :: "memory");
        v->arch.gs_base_user = rdmsr(MSR_KERNEL_GS_BASE);
        return 0;
    }
    }
    return -EINVAL;
}
