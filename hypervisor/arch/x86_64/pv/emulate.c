/*
 * pv/emulate.c - the instructions a PV kernel may issue that fault in ring
 * 3, emulated as Xen emulates them, and the CPUID a PV guest sees.
 *
 *  - rdmsr/wrmsr: FS/GS bases (before any trap table exists, Linux writes
 *    GS_BASE), a safe set of reads (APIC_BASE, EFER, PAT, TSC, MISC_ENABLE);
 *    anything else is #GP, except that an rdmsr of a real MSR returns 0 while
 *    the guest has no #GP handler yet (Xen does the same);
 *  - mov from CR0/CR2/CR3/CR4, mov to CR0 (TS only), CR3 (a new base
 *    pointer), CR4 (remembered); clts; wbinvd/invd (nothing to do);
 *  - in/out with the guest's I/O privilege (set_iopl): reads give all ones,
 *    writes are dropped (no domain owns a real port); cli/sti with it: no-ops
 *    (Xen's choice: a guest cannot be trusted to re-enable with popf);
 *  - `ud2; .ascii "xen"; cpuid`: forced emulation of CPUID.
 * CPUID: Xen's leaves at 0x40000000-0x40000005, and hardware leaves masked by
 * the PV policy of Xen's cpufeatureset.h ('A' features), less what Tern does
 * not offer (XSAVE and relatives, FSGSBASE: not switched; MCE/MCA: Xen has a
 * virtual machine-check architecture, Tern none), with the hypervisor bit.
 */
#include "arch/pv.h"
#include "arch/cpu.h"
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "frame.h"
#include "time.h"
#include "cpuid_pv_mask.h"
#include "console.h"

extern bool hypercall_trace;

#define XEN_MSR_PAT 0x0000050100070406ull

long do_get_debugreg(u64 reg, u64 a2, u64 a3, u64 a4, u64 a5);
long do_set_debugreg(u64 reg, u64 value, u64 a3, u64 a4, u64 a5);

static u64 *gpr(struct cpu_regs *r, unsigned int n)
{
    switch (n & 15) {
    case 0: return &r->rax;   case 1: return &r->rcx;   case 2: return &r->rdx;
    case 3: return &r->rbx;   case 4: return &r->rsp;   case 5: return &r->rbp;
    case 6: return &r->rsi;   case 7: return &r->rdi;   case 8: return &r->r8;
    case 9: return &r->r9;    case 10: return &r->r10;  case 11: return &r->r11;
    case 12: return &r->r12;  case 13: return &r->r13;  case 14: return &r->r14;
    default: return &r->r15;
    }
}

/* ---- CPUID ---- */

static void mask_word(u32 *reg, unsigned int word)
{
    if (word < PV_FEATURE_WORDS)
        *reg &= pv_feature_mask[word];
}

void pv_cpuid(const struct vcpu *v, u32 leaf, u32 sub, u32 res[4])
{
    memset(res, 0, 4 * sizeof(u32));
    if (leaf >= 0x40000000 && leaf < 0x40010000) {
        u32 idx = leaf - 0x40000000;
        switch (idx) {
        case 0:
            res[0] = 0x40000005;
            memcpy(&res[1], "XenV", 4);
            memcpy(&res[2], "MMXe", 4);
            memcpy(&res[3], "nVMM", 4);
            break;
        case 1:
            res[0] = (TERN_XEN_MAJOR << 16) | TERN_XEN_MINOR;
            break;
        case 2:
            res[0] = 1;
            res[1] = 0x40000000;
            res[2] = XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD;
            break;
        case 3:
            if (sub == 0) {
                res[0] = 1u << 1;                   /* host TSC is safe, never emulated */
                res[2] = (u32)tsc_khz;
            } else if (sub == 2) {
                res[0] = (u32)tsc_khz;
            }
            break;
        case 5:
            if (sub == 0) {
                u32 bits = 0;
                for (u64 m = frame_table_size; m; m >>= 1)
                    bits++;
                res[1] = bits + PAGE_SHIFT;         /* machine address width */
            }
            break;
        }
        return;
    }

    u32 a, b, c, d;
    cpuid(leaf & 0x80000000 ? 0x80000000 : 0, &a, &b, &c, &d);
    if (leaf > a)
        return;
    cpuid_count(leaf, sub, &res[0], &res[1], &res[2], &res[3]);
    switch (leaf) {
    case 1:
        mask_word(&res[3], 0);
        res[3] &= ~((1u << 7) | (1u << 14));        /* MCE, MCA: no virtual machine check */
        mask_word(&res[2], 1);
        res[2] &= ~((1u << 26) | (1u << 27));       /* XSAVE, OSXSAVE: not switched */
        res[2] |= 1u << 31;                         /* running on a hypervisor */
        break;
    case 7:
        if (sub == 0) {
            mask_word(&res[1], 5);
            mask_word(&res[2], 6);
            mask_word(&res[3], 9);
            res[1] &= ~1u;                          /* FSGSBASE */
        } else if (sub == 1) {
            mask_word(&res[0], 10);
            res[1] = res[2] = res[3] = 0;
        } else {
            memset(res, 0, 4 * sizeof(u32));
        }
        break;
    case 0xd:                                       /* XSAVE state: hidden */
        memset(res, 0, 4 * sizeof(u32));
        break;
    case 0x80000001:
        mask_word(&res[3], 2);
        mask_word(&res[2], 3);
        break;
    case 0x80000007:
        mask_word(&res[3], 7);
        break;
    case 0x80000008:
        mask_word(&res[1], 8);
        break;
    case 0x80000021:
        mask_word(&res[0], 11);
        break;
    }
    (void)v;
}

bool pv_emulate_forced_cpuid(struct cpu_regs *regs)
{
    static const u8 sig[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    u8 insn[sizeof(sig)];
    if (copy_from_guest(insn, regs->rip, sizeof(insn)) || memcmp(insn, sig, sizeof(sig)))
        return false;
    u32 res[4];
    pv_cpuid(current, (u32)regs->rax, (u32)regs->rcx, res);
    if (hypercall_trace)
        printk("d%u cpuid %#x/%#x = %08x %08x %08x %08x\n", current->domain->domain_id,
               (u32)regs->rax, (u32)regs->rcx, res[0], res[1], res[2], res[3]);
    regs->rax = res[0];
    regs->rbx = res[1];
    regs->rcx = res[2];
    regs->rdx = res[3];
    regs->rip += sizeof(sig);
    regs->rflags &= ~(u64)X86_EFLAGS_RF;
    return true;
}

/* ---- MSRs ---- */

static bool msr_exists(u32 msr, u64 *val)
{
    u32 lo, hi;
    int fault = 0;
    __asm__ volatile("1: rdmsr\n2:\n"
                     ".pushsection .fixup_text, \"ax\"\n"
                     "3: movl $1, %2\n xor %0, %0\n xor %1, %1\n jmp 2b\n"
                     ".popsection\n"
                     ".pushsection .ex_table, \"a\"\n .balign 8\n .quad 1b, 3b\n .popsection\n"
                     : "=a"(lo), "=d"(hi), "+r"(fault) : "c"(msr));
    *val = ((u64)hi << 32) | lo;
    return !fault;
}

static bool emulate_rdmsr(struct vcpu *v, u32 msr, u64 *val)
{
    u64 hw;
    switch (msr) {
    case MSR_APIC_BASE:
        *val = 0xfee00000ull | (1u << 11) | (v->vcpu_id == 0 ? (1u << 8) : 0);
        return true;
    case MSR_FS_BASE:
        *val = rdmsr(MSR_FS_BASE);
        return true;
    case MSR_GS_BASE:
        *val = rdmsr(MSR_GS_BASE);
        return true;
    case MSR_KERNEL_GS_BASE:
        *val = v->arch.kernel_mode ? rdmsr(MSR_KERNEL_GS_BASE) : v->arch.gs_base_user;
        return true;
    case 0x10:                                      /* TSC */
        *val = rdtsc();
        return true;
    case MSR_EFER:
        *val = rdmsr(MSR_EFER) & ((1u << 0) | (1u << 8) | (1u << 10) | (1u << 11));
        return true;
    case MSR_PAT:
        *val = XEN_MSR_PAT;
        return true;
    case 0x1a0:                                     /* MISC_ENABLE */
        if (!msr_exists(msr, &hw))
            return false;
        *val = hw & ~(1ull << 18);                  /* no MONITOR/MWAIT */
        return true;
    case 0x345:                                     /* PERF_CAPABILITIES */
        *val = 0;
        return true;
    }
    /* No #GP handler yet: reads of real MSRs give 0 rather than a fatal #GP. */
    if (!v->arch.traps[13].address && msr_exists(msr, &hw)) {
        *val = 0;
        return true;
    }
    return false;
}

static bool emulate_wrmsr(struct vcpu *v, u32 msr, u64 val)
{
    switch (msr) {
    case MSR_FS_BASE:
        if (!is_canonical(val))
            return false;
        wrmsr(MSR_FS_BASE, val);
        return true;
    case MSR_GS_BASE:
        if (!is_canonical(val))
            return false;
        wrmsr(MSR_GS_BASE, val);
        return true;
    case MSR_KERNEL_GS_BASE:
        if (!is_canonical(val))
            return false;
        wrmsr(MSR_KERNEL_GS_BASE, val);
        v->arch.gs_base_user = val;
        return true;
    case 0x1a0: {                                   /* MISC_ENABLE: only its own value */
        u64 hw;
        return msr_exists(msr, &hw);
    }
    }
    return false;
}

/* ---- the emulator ---- */

static bool iopl_ok(const struct vcpu *v)
{
    return (v->arch.iopl >> 12) >= (v->arch.kernel_mode ? 1u : 3u);
}

bool pv_emulate_privileged(struct cpu_regs *regs)
{
    struct vcpu *v = current;
    u8 insn[16];
    unsigned int n = 0, len = 0;

    /* Fetch what is readable of the next 15 bytes. */
    while (len < 15 && copy_from_guest(&insn[len], regs->rip + len, 1) == 0)
        len++;
    if (!len)
        return false;

    bool opsize16 = false, rex_w = false;
    unsigned int rex = 0;
    for (;; n++) {
        if (n >= len)
            return false;
        u8 b = insn[n];
        if (b == 0x66) { opsize16 = true; continue; }
        if (b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 ||
            b == 0xf2 || b == 0xf3 || b == 0x67)
            continue;
        if ((b & 0xf0) == 0x40) {
            rex = b;
            rex_w = b & 8;
            n++;
        }
        break;
    }
    (void)rex_w;
    if (n >= len)
        return false;
    u8 op = insn[n++];
    unsigned int iosize = opsize16 ? 2 : 4;

    switch (op) {
    case 0xe4: case 0xe5: case 0xec: case 0xed: {   /* in */
        if (!iopl_ok(v))
            return false;
        if (op == 0xe4 || op == 0xe5) {
            if (n >= len)
                return false;
            n++;
        }
        unsigned int size = (op & 1) ? iosize : 1;
        u64 mask = size == 4 ? 0xffffffffull : size == 2 ? 0xffff : 0xff;
        regs->rax = size == 4 ? mask : (regs->rax & ~mask) | mask;
        regs->rip += n;
        return true;
    }
    case 0xe6: case 0xe7: case 0xee: case 0xef:     /* out: dropped */
        if (!iopl_ok(v))
            return false;
        if (op == 0xe6 || op == 0xe7) {
            if (n >= len)
                return false;
            n++;
        }
        regs->rip += n;
        return true;
    case 0xfa: case 0xfb:                           /* cli, sti: no-ops, as on Xen */
        if (!iopl_ok(v))
            return false;
        regs->rip += n;
        return true;
    case 0x0f:
        break;
    default:
        return false;
    }

    if (!v->arch.kernel_mode || n >= len)
        return false;                               /* the rest needs guest kernel mode */
    u8 op2 = insn[n++];
    switch (op2) {
    case 0x06:                                      /* clts */
        pv_fpu_guest_ts(v, false);
        break;
    case 0x08: case 0x09:                           /* invd, wbinvd */
        break;
    case 0x31: {                                    /* rdtsc (the guest set CR4.TSD) */
        u64 t = rdtsc();
        regs->rax = (u32)t;
        regs->rdx = t >> 32;
        break;
    }
    case 0x30: {                                    /* wrmsr */
        u64 val = (regs->rdx << 32) | (u32)regs->rax;
        if (!emulate_wrmsr(v, (u32)regs->rcx, val))
            return false;
        break;
    }
    case 0x32: {                                    /* rdmsr */
        u64 val;
        if (!emulate_rdmsr(v, (u32)regs->rcx, &val))
            return false;
        regs->rax = (u32)val;
        regs->rdx = val >> 32;
        break;
    }
    case 0x20: case 0x22: {                         /* mov cr */
        if (n >= len)
            return false;
        u8 modrm = insn[n++];
        unsigned int cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
        u64 *reg = gpr(regs, (modrm & 7) | ((rex & 1) ? 8 : 0));
        if (op2 == 0x20) {
            switch (cr) {
            case 0: *reg = (read_cr0() & ~(u64)X86_CR0_TS) | (v->arch.guest_ts ? X86_CR0_TS : 0); break;
            case 2: *reg = v->vcpu_info->arch.cr2; break;
            case 3: *reg = xen_pfn_to_cr3(v->arch.guest_table); break;
            case 4: *reg = v->arch.cr4_shadow; break;
            default: return false;
            }
        } else {
            switch (cr) {
            case 0:
                if ((*reg ^ read_cr0()) & ~(u64)X86_CR0_TS)
                    return false;
                pv_fpu_guest_ts(v, *reg & X86_CR0_TS);
                break;
            case 2:
                v->vcpu_info->arch.cr2 = *reg;
                break;
            case 3:
                if (pv_new_baseptr(v, xen_cr3_to_pfn(*reg)))
                    return false;
                break;
            case 4:
                pv_write_cr4(v, *reg);
                break;
            default:
                return false;
            }
        }
        break;
    }
    case 0x21: case 0x23: {                         /* mov dr */
        if (n >= len)
            return false;
        u8 modrm = insn[n++];
        unsigned int dr = (modrm >> 3) & 7;
        u64 *reg = gpr(regs, (modrm & 7) | ((rex & 1) ? 8 : 0));
        if (op2 == 0x21) {
            long val = do_get_debugreg(dr, 0, 0, 0, 0);
            if (dr == 4 || dr == 5 || (val < 0 && val > -4096))
                return false;
            *reg = (u64)val;
        } else if (do_set_debugreg(dr, *reg, 0, 0, 0)) {
            return false;
        }
        break;
    }
    default:
        return false;
    }
    regs->rip += n;
    regs->rflags &= ~(u64)X86_EFLAGS_RF;
    return true;
}
