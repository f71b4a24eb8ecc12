/*
 * gdt.c - per-CPU GDT window, TSS with IST stacks, and the shared IDT.
 */
#include "arch/desc.h"
#include "arch/cpu.h"
#include "arch/mm.h"
#include "arch/pagetable.h"
#include "percpu.h"
#include "heap.h"
#include "lib.h"
#include "panic.h"

struct __packed desc_ptr {
    u16 limit;
    u64 base;
};

struct idt_gate {
    u16 off_lo;
    u16 sel;
    u8 ist;
    u8 attr;
    u16 off_mid;
    u32 off_hi;
    u32 reserved;
};

static struct idt_gate idt[256] __aligned(4096);
static const u8 zero_page[PAGE_SIZE] __aligned(PAGE_SIZE);
extern char entry_stubs[];

/* The hypervisor's descriptors, at byte offset (selector - 0xe000) of page 14.
 * Accessed bits are preset so the CPU never writes to these descriptors. */
static const struct { u16 sel; u64 desc; } reserved_descs[] = {
    { HYPERVISOR_CS,        0x00af9b000000ffffull },   /* ring 0 code, 64-bit */
    { HYPERVISOR_DS,        0x00cf93000000ffffull },   /* ring 0 data */
    { FLAT_RING3_CS32_SEL,  0x00cffb000000ffffull },   /* ring 3 code, compat */
    { FLAT_RING3_DS_SEL,    0x00cff3000000ffffull },   /* ring 3 data */
    { FLAT_RING3_CS64_SEL,  0x00affb000000ffffull },   /* ring 3 code, 64-bit */
    { HYPERVISOR_CS32,      0x00cf9b000000ffffull },   /* ring 0 code, compat */
};

static void set_gate(unsigned int vec, void *handler, unsigned int ist, unsigned int dpl)
{
    u64 a = (u64)handler;
    idt[vec].off_lo = (u16)a;
    idt[vec].sel = HYPERVISOR_CS;
    idt[vec].ist = (u8)ist;
    idt[vec].attr = (u8)(0x8e | (dpl << 5));      /* present, 64-bit interrupt gate */
    idt[vec].off_mid = (u16)(a >> 16);
    idt[vec].off_hi = (u32)(a >> 32);
    idt[vec].reserved = 0;
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, entry_stubs + 16 * v, 0, 0);
    set_gate(VEC_DF, entry_stubs + 16 * VEC_DF, 1, 0);
    set_gate(VEC_NMI, entry_stubs + 16 * VEC_NMI, 2, 0);
    set_gate(VEC_MC, entry_stubs + 16 * VEC_MC, 3, 0);
    /* int3 and into are allowed from ring 3 (guests), as on Xen. */
    set_gate(VEC_BP, entry_stubs + 16 * VEC_BP, 0, 3);
    set_gate(VEC_OF, entry_stubs + 16 * VEC_OF, 0, 3);
}

void idt_load(void)
{
    struct desc_ptr p = { sizeof(idt) - 1, (u64)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}

static u64 tss_desc_lo(u64 base, u32 limit)
{
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
           ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

void gdt_init_cpu(struct percpu *p)
{
    struct arch_percpu *a = &p->arch;
    u64 win = GDTWIN_VIRT_START + (u64)p->id * GDTWIN_SIZE;

    if (!a->gdt) {
        a->gdt = alloc_pages(0);
        if (!a->gdt)
            panic("no memory for CPU %u's GDT", p->id);
    }
    u64 *g = a->gdt;
    memset(g, 0, PAGE_SIZE);
    for (unsigned int i = 0; i < ARRAY_SIZE(reserved_descs); i++)
        g[(reserved_descs[i].sel & 0xfff) >> 3] = reserved_descs[i].desc;

    /* TSS: rsp0 = just past cpu_info.guest_regs, IST 1-3 = the block's low pages. */
    u8 *blk = a->stack_block;
    struct cpu_info *ci = cpu_info_of_block(blk);
    memset(&a->tss, 0, sizeof(a->tss));
    a->tss.rsp[0] = (u64)(&ci->guest_regs + 1);
    a->tss.ist[0] = (u64)(blk + (IST_DF_PAGE + 1) * PAGE_SIZE);
    a->tss.ist[1] = (u64)(blk + (IST_NMI_PAGE + 1) * PAGE_SIZE);
    a->tss.ist[2] = (u64)(blk + (IST_MCE_PAGE + 1) * PAGE_SIZE);
    a->tss.iomap_base = sizeof(a->tss);        /* no I/O bitmap: ring 3 gets no ports */
    u64 tb = (u64)&a->tss;
    g[(TSS_SEL & 0xfff) >> 3] = tss_desc_lo(tb, sizeof(a->tss) - 1);
    g[((TSS_SEL & 0xfff) >> 3) + 1] = tb >> 32;

    /* The window: zero pages for the guest part, this CPU's page at 14. */
    for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++)
        if (map_pages(win + i * PAGE_SIZE, virt_to_maddr(zero_page), 1, PTE_NX | pte_global_mask))
            panic("no memory for the GDT window");
    if (map_pages(win + FIRST_RESERVED_GDT_PAGE * PAGE_SIZE, virt_to_maddr(g), 1,
                  PTE_W | PTE_NX | pte_global_mask))
        panic("no memory for the GDT window");

    struct desc_ptr dp = { GDT_LIMIT, win };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %w2, %%ss\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        "mov %%eax, %%es\n\t"
        "mov %%eax, %%fs\n\t"
        "mov %%eax, %%gs\n\t"
        "lldt %%ax\n\t"           /* no LDT: its reset state (base 0) would be guest memory */
        "ltr %w3\n\t"
        :: "m"(dp), "i"(HYPERVISOR_CS), "r"(HYPERVISOR_DS), "r"(TSS_SEL) : "rax", "memory");
}
