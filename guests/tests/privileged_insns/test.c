/*
 * privileged_insns - what a PV kernel gets for the privileged instructions
 * it may issue.  The kernel runs in ring 3, so each one faults to the
 * hypervisor; Xen 4.17 emulates a fixed set (control and debug register
 * reads, writing CR3, clts, rdmsr/wrmsr of MSRs it knows, cpuid) and turns
 * the rest into #GP(0) for the guest: hlt, cli/sti without I/O privilege,
 * lgdt/lidt/ltr/lldt, invlpg, swapgs, and rdmsr/wrmsr of MSRs it does not
 * know.  The forced-emulation prefix (ud2a; "xen"; cpuid) reaches Xen's own
 * CPUID leaves.  Every expected value was read from Xen 4.17.
 */
#include "guest.h"

const char test_title[] = "privileged_insns: emulated or #GP in a PV kernel";

static void expect_gp(const char *name, struct fault f)
{
    check(f.vector == 13 && f.error_code == 0, name, "vector %d (%s) error code %#x",
          f.vector, vector_name(f.vector), f.error_code);
}

static void expect_none(const char *name, struct fault f, const char *fmt, u64 v)
{
    char detail[96];
    snprintf(detail, sizeof(detail), fmt, v);
    check(f.vector == -1, name, "%s, fault %d (%s)", detail, f.vector, vector_name(f.vector));
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("privileged instructions execute natively in ring 0");
        return;
    }
    u64 v = 0;
    struct { u16 limit; u64 base; } __packed dt = { 0, 0 };

    expect_gp("gp.hlt", PROBE("hlt"));
    expect_gp("gp.cli", PROBE("cli"));
    expect_gp("gp.sti", PROBE("sti"));
    expect_gp("gp.lgdt", PROBE("lgdt %0", :: "m"(dt)));
    expect_gp("gp.lidt", PROBE("lidt %0", :: "m"(dt)));
    expect_gp("gp.ltr", PROBE("ltr %w0", :: "r"(0x28)));
    expect_gp("gp.lldt", PROBE("lldt %w0", :: "r"(0)));
    expect_gp("gp.invlpg", PROBE("invlpg (%0)", :: "r"(0x100000UL) : "memory"));
    expect_gp("gp.swapgs", PROBE("swapgs"));
    expect_gp("gp.rdmsr_unknown", PROBE("rdmsr", : "=a"(v) : "c"(0x12345678) : "rdx"));
    expect_gp("gp.rdmsr_debugctl", PROBE("rdmsr", : "=a"(v) : "c"(0x1d9) : "rdx"));
    expect_gp("gp.wrmsr_unknown", PROBE("wrmsr", :: "c"(0x12345678), "a"(0), "d"(0)));
    expect_gp("gp.mov_to_cr0_pe_off", PROBE("mov %0, %%cr0", :: "r"(0x80000000UL)));

    /* Reads of control registers are emulated. */
    u64 cr3 = 0;
    struct fault f = PROBE("mov %%cr3, %0", : "+r"(cr3));
    u64 want_cr3 = virt_to_mfn((void *)start_info->pt_base) << PAGE_SHIFT;
    check(f.vector == -1 && cr3 == want_cr3, "emul.read_cr3",
          "cr3 %#lx, expected the L4's machine address %#lx, fault %d", cr3, want_cr3, f.vector);
    u64 cr0 = 0;
    f = PROBE("mov %%cr0, %0", : "+r"(cr0));
    check(f.vector == -1 && (cr0 & 0x80000001) == 0x80000001, "emul.read_cr0",
          "cr0 %#lx (PG and PE set), fault %d", cr0, f.vector);
    u64 cr4 = 0;
    f = PROBE("mov %%cr4, %0", : "+r"(cr4));
    check(f.vector == -1 && (cr4 & 0x20), "emul.read_cr4", "cr4 %#lx (PAE set), fault %d", cr4, f.vector);
    /* Writing CR3 with the current table is accepted (new_guest_cr3). */
    f = PROBE("mov %0, %%cr3", :: "r"(cr3) : "memory");
    expect_none("emul.write_cr3_same", f, "cr3 <- %#lx", cr3);
    u64 dr7 = 0;
    f = PROBE("mov %%dr7, %0", : "+r"(dr7));
    check(f.vector == -1 && dr7 == 0x400, "emul.read_dr7", "dr7 %#lx, fault %d", dr7, f.vector);
    f = PROBE("clts");
    expect_none("emul.clts", f, "%s", (u64)(uintptr_t)"clts");

    /* MSRs Xen knows: FS base reads back what set_segment_base wrote. */
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0x123000);
    u32 lo = 0, hi = 0;
    f = PROBE("rdmsr", : "+a"(lo), "+d"(hi) : "c"(MSR_FS_BASE));
    u64 fsb = ((u64)hi << 32) | lo;
    check(f.vector == -1 && fsb == 0x123000, "emul.rdmsr_fs_base", "fs base %#lx, fault %d", fsb, f.vector);
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);

    /* The real IF is always set for a PV kernel; popf cannot clear it. */
    u64 flags = 0;
    f = PROBE("pushfq; pop %0", : "=r"(flags));
    check(f.vector == -1 && (flags & X86_EFLAGS_IF), "flags.if_set", "rflags %#lx", flags);
    f = PROBE("pushfq; andq $~0x200, (%%rsp); popfq; pushfq; pop %0", : "=r"(flags) :: "cc");
    check(f.vector == -1 && (flags & X86_EFLAGS_IF), "flags.popf_cannot_clear_if",
          "rflags after popf %#lx, fault %d", flags, f.vector);

    /* Forced emulation: ud2a; "xen"; cpuid reaches Xen's leaves. */
    u32 a = 0x40000000, b = 0, c = 0, d = 0;
    f = PROBE("ud2a; .ascii \"xen\"; cpuid", : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    char sig[13];
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    sig[12] = 0;
    check(f.vector == -1 && !strcmp(sig, "XenVMMXenVMM") && a >= 0x40000002,
          "cpuid.forced_xen_leaf", "max leaf %#x signature \"%s\", fault %d", a, sig, f.vector);
    a = 0x40000001;
    f = PROBE("ud2a; .ascii \"xen\"; cpuid", : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    check(f.vector == -1 && a == 0x40011, "cpuid.forced_version_leaf",
          "leaf 0x40000001 eax %#x (4.17 = 0x40011)", a);
}
