/*
 * cpu.h - x86-64 instructions and registers as inline functions.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include "types.h"

#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_FMASK           0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_TSC_AUX         0xc0000103
#define MSR_APIC_BASE       0x0000001b
#define MSR_TSC_DEADLINE    0x000006e0
#define MSR_PAT             0x00000277
#define MSR_X2APIC_BASE     0x00000800

#define EFER_SCE            (1u << 0)
#define EFER_LME            (1u << 8)
#define EFER_NXE            (1u << 11)

#define X86_CR0_PE          (1ul << 0)
#define X86_CR0_MP          (1ul << 1)
#define X86_CR0_EM          (1ul << 2)
#define X86_CR0_TS          (1ul << 3)
#define X86_CR0_NE          (1ul << 5)
#define X86_CR0_WP          (1ul << 16)
#define X86_CR0_NW          (1ul << 29)
#define X86_CR0_CD          (1ul << 30)
#define X86_CR0_PG          (1ul << 31)

#define X86_CR4_TSD         (1ul << 2)
#define X86_CR4_DE          (1ul << 3)
#define X86_CR4_PSE         (1ul << 4)
#define X86_CR4_PAE         (1ul << 5)
#define X86_CR4_MCE         (1ul << 6)
#define X86_CR4_PGE         (1ul << 7)
#define X86_CR4_OSFXSR      (1ul << 9)
#define X86_CR4_OSXMMEXCPT  (1ul << 10)
#define X86_CR4_FSGSBASE    (1ul << 16)
#define X86_CR4_OSXSAVE     (1ul << 18)
#define X86_CR4_SMEP        (1ul << 20)
#define X86_CR4_SMAP        (1ul << 21)

static __always_inline void cpuid_count(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static __always_inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
    cpuid_count(leaf, 0, a, b, c, d);
}

static __always_inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((u64)hi << 32) | lo;
}

static __always_inline void wrmsr(u32 msr, u64 v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static __always_inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

#define DEFINE_CR(n) \
    static __always_inline u64 read_cr##n(void) \
    { u64 v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static __always_inline void write_cr##n(u64 v) \
    { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static __always_inline void invlpg(const void *va)
{
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static __always_inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static __always_inline void local_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static __always_inline void local_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static __always_inline void halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static __always_inline void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

static __always_inline u64 local_save_flags(void)
{
    u64 f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f) :: "memory");
    return f;
}

static __always_inline u64 local_irq_save(void)
{
    u64 f = local_save_flags();
    local_irq_disable();
    return f;
}

static __always_inline void local_irq_restore(u64 f)
{
    if (f & 0x200)
        local_irq_enable();
}

static __always_inline bool local_irq_enabled(void)
{
    return local_save_flags() & 0x200;
}

/* Load CR3 and drop every translation, global ones too: PV guests' user
 * mappings are global (pv/mm_fast.h, adjust_guest_l1e), so only the switch
 * between a guest's own kernel and user tables may keep them. */
static __always_inline void write_cr3_flush_all(u64 cr3)
{
    u64 cr4 = read_cr4();
    if (!(cr4 & X86_CR4_PGE)) {
        write_cr3(cr3);
        return;
    }
    u64 f = local_irq_save();
    write_cr4(cr4 & ~X86_CR4_PGE);
    write_cr3(cr3);
    write_cr4(cr4);
    local_irq_restore(f);
}

static __always_inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static __always_inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static __always_inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static __always_inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static __always_inline u16 inw(u16 port) { u16 v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static __always_inline u32 inl(u16 port) { u32 v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static __always_inline void *read_rbp(void)
{
    void *v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

#endif
