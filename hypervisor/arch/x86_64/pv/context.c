/*
 * pv/context.c - what a physical CPU switches when it changes vCPU, or when
 * a vCPU moves between guest kernel and guest user mode.
 *
 *  - registers: cpu_info.guest_regs <-> vcpu->arch.regs;
 *  - page tables: CR3 = the kernel L4 in kernel mode, the user L4 in user
 *    mode (toggle_guest_mode also swaps the two GS bases with swapgs);
 *  - segments: selectors and the FS/GS bases stay in the CPU while a vCPU
 *    runs and are saved/restored here;
 *  - the GDT window (arch/desc.h) maps the guest's GDT frames;
 *  - the FPU is switched lazily: CR0.TS is set at every switch and the first
 *    FPU instruction (#NM) loads the vCPU's state; a vCPU's state is saved
 *    when it is switched out.  The guest's own virtual TS (fpu_taskswitch)
 *    turns that #NM into one for the guest, as on Xen.
 */
#include "arch/pv.h"
#include "arch/cpu.h"
#include "arch/desc.h"
#include "arch/extable.h"
#include "arch/pagetable.h"
#include "arch/mm.h"
#include "domain.h"
#include "lib.h"
#include "percpu.h"
#include "panic.h"

static struct vcpu *fpu_owner[NR_CPUS];
extern char syscall_stubs[], syscall_entry[];

static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }
static inline void stts(void) { write_cr0(read_cr0() | X86_CR0_TS); }

u64 guest_cr3_mfn(const struct vcpu *v)
{
    if (!v->arch.kernel_mode && v->arch.guest_table_user)
        return v->arch.guest_table_user;
    return v->arch.guest_table;
}

void pv_load_cr3(struct vcpu *v)
{
    write_cr3_flush_all(guest_cr3_mfn(v) << PAGE_SHIFT);
    this_cpu()->tlbflush_stamp = rdtsc();
    v->stats.as_switches++;
}

/* ---- CR4: the guest sees its own TSD/DE and the hardware's PAE/MCE/FXSR bits ---- */

#define CR4_GUEST_BITS      (X86_CR4_TSD | X86_CR4_DE)
#define CR4_VISIBLE_BITS    (X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

static void load_guest_cr4(const struct vcpu *v)
{
    u64 cr4 = read_cr4();
    u64 want = (cr4 & ~(u64)X86_CR4_TSD) | (v->arch.cr4_shadow & X86_CR4_TSD);
    if (want != cr4)
        write_cr4(want);
}

void pv_write_cr4(struct vcpu *v, u64 val)
{
    v->arch.cr4_shadow = (val & CR4_GUEST_BITS) | (read_cr4() & CR4_VISIBLE_BITS);
    load_guest_cr4(v);
}

void pv_vcpu_initialise_state(struct vcpu *v)
{
    v->arch.cr4_shadow = read_cr4() & CR4_VISIBLE_BITS;
    v->arch.debugreg[6] = 0xffff0ff0;
    v->arch.debugreg[7] = 0x400;
}

/* ---- FPU ---- */

static const struct fpu_state fpu_default = {
    .fxsave = { [0] = 0x7f, [1] = 0x03,             /* FCW 0x037f */
                [24] = 0x80, [25] = 0x1f },         /* MXCSR 0x1f80 */
};

bool pv_fpu_fault(struct cpu_regs *regs)
{
    (void)regs;
    struct vcpu *v = current;
    unsigned int cpu = smp_processor_id();
    clts();
    if (fpu_owner[cpu] != v) {
        const struct fpu_state *s = v->arch.fpu_initialised ? &v->arch.fpu : &fpu_default;
        __asm__ volatile("fxrstor64 %0" :: "m"(*s));
        v->arch.fpu_initialised = true;
        fpu_owner[cpu] = v;
    }
    if (v->arch.guest_ts) {
        v->arch.guest_ts = false;           /* the guest takes #NM, its TS cleared */
        return false;
    }
    return true;
}

void pv_fpu_guest_ts(struct vcpu *v, bool set)
{
    v->arch.guest_ts = set;
    if (set)
        stts();
    else if (fpu_owner[smp_processor_id()] == v)
        clts();
}

static void fpu_save(struct vcpu *v)
{
    unsigned int cpu = smp_processor_id();
    if (fpu_owner[cpu] != v)
        return;
    clts();
    __asm__ volatile("fxsave64 %0" : "=m"(v->arch.fpu));
    fpu_owner[cpu] = NULL;
}

/* A vCPU going away is nobody's FPU owner: a new one at its address must
 * not inherit its registers. */
void pv_fpu_forget(struct vcpu *v)
{
    for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
        struct vcpu *expect = v;
        __atomic_compare_exchange_n(&fpu_owner[cpu], &expect, NULL, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
    }
}

/* ---- segments ---- */

static u16 read_sel(int which)
{
    u16 s = 0;
    switch (which) {
    case 0: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case 1: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case 2: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    case 3: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

/* Load a data selector the guest chose; a bad one loads the null selector. */
#define LOAD_SEL(seg, val) \
    __asm__ volatile("1: mov %w0, %%" #seg "\n2:\n" \
                     ".pushsection .fixup_text, \"ax\"\n" \
                     "3: xor %k0, %k0\n mov %w0, %%" #seg "\n jmp 2b\n" \
                     ".popsection\n" ASM_EXTABLE(1b, 3b) : "+r"(val) :: "memory")

static void save_segments(struct vcpu *v)
{
    v->arch.ds = read_sel(0);
    v->arch.es = read_sel(1);
    v->arch.fs = read_sel(2);
    v->arch.gs = read_sel(3);
    v->arch.fs_base = rdmsr(MSR_FS_BASE);
    u64 active = rdmsr(MSR_GS_BASE), shadow = rdmsr(MSR_KERNEL_GS_BASE);
    v->arch.gs_base_kernel = v->arch.kernel_mode ? active : shadow;
    v->arch.gs_base_user = v->arch.kernel_mode ? shadow : active;
}

static void load_segments(struct vcpu *v)
{
    u64 ds = v->arch.ds, es = v->arch.es, fs = v->arch.fs, gs = v->arch.gs;
    LOAD_SEL(ds, ds);
    LOAD_SEL(es, es);
    LOAD_SEL(fs, fs);
    LOAD_SEL(gs, gs);
    wrmsr(MSR_FS_BASE, v->arch.fs_base);
    wrmsr(MSR_GS_BASE, v->arch.kernel_mode ? v->arch.gs_base_kernel : v->arch.gs_base_user);
    wrmsr(MSR_KERNEL_GS_BASE, v->arch.kernel_mode ? v->arch.gs_base_user : v->arch.gs_base_kernel);
}

/* ---- the switch ---- */

void pv_context_switch(struct vcpu *prev, struct vcpu *next)
{
    struct cpu_info *ci = get_cpu_info();
    unsigned int cpu = smp_processor_id();

    if (!is_idle_vcpu(prev)) {
        prev->arch.regs = ci->guest_regs;
        save_segments(prev);
        fpu_save(prev);
    }
    ci->curr_vcpu = next;
    if (is_idle_vcpu(next)) {
        if (read_cr4() & X86_CR4_TSD)
            write_cr4(read_cr4() & ~(u64)X86_CR4_TSD);
        /* Global guest translations may survive this: no flush stamp (the
         * next guest's CR3 load flushes them). */
        write_cr3(idle_pagetable());
        pv_load_gdt(NULL);
        pv_load_ldt(NULL);
        return;
    }
    __atomic_fetch_or(&next->domain->dirty_cpus, 1ull << cpu, __ATOMIC_RELEASE);
    ci->guest_regs = next->arch.regs;
    pv_load_cr3(next);
    pv_load_gdt(next);
    pv_load_ldt(next);
    load_segments(next);
    load_guest_cr4(next);
    stts();
}

/* ---- per-CPU setup of the syscall path ---- */

void pv_cpu_init(unsigned int cpu)
{
    /* The stub: movabs %rax, scratch; mov %rsp, %rax; movabs $stack, %rsp; jmp syscall_entry */
    struct cpu_info *ci = cpu_info_of_block(percpu_area[cpu]->arch.stack_block);
    u8 *stub_exec = (u8 *)syscall_stubs + cpu * 32;
    u8 *p = maddr_to_virt(virt_to_maddr(stub_exec));   /* writable alias */
    u64 scratch = (u64)&ci->syscall_scratch, top = (u64)(&ci->guest_regs + 1);
    unsigned int n = 0;
    p[n++] = 0x48; p[n++] = 0xa3; memcpy(p + n, &scratch, 8); n += 8;
    p[n++] = 0x48; p[n++] = 0x89; p[n++] = 0xe0;
    p[n++] = 0x48; p[n++] = 0xbc; memcpy(p + n, &top, 8); n += 8;
    s32 rel = (s32)((u64)syscall_entry - ((u64)stub_exec + n + 5));
    p[n++] = 0xe9; memcpy(p + n, &rel, 4); n += 4;
    BUG_ON(n > 32);

    wrmsr(MSR_STAR, ((u64)FLAT_USER_CS32 << 48) | ((u64)HYPERVISOR_CS << 32));
    wrmsr(MSR_LSTAR, (u64)stub_exec);
    wrmsr(MSR_CSTAR, (u64)stub_exec);
    wrmsr(MSR_FMASK, X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_NT |
                     X86_EFLAGS_AC | X86_EFLAGS_RF);
    wrmsr(0x174, 0);                        /* SYSENTER_CS: sysenter faults */
}
