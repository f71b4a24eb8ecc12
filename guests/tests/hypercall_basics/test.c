/*
 * hypercall_basics - the hypercalls every PV kernel makes first.
 *
 * xen_version: the version number (4.17 on the oracle), extraversion (a
 * NUL-terminated string starting with '.'), capabilities ("xen-3.0-x86_64"),
 * platform_parameters (the hypervisor's start, HYPERVISOR_VIRT_START),
 * get_features (PV bits; XENFEAT_dom0 exactly when SIF_INITDOMAIN), pagesize;
 * console_io writes; and the refusals: unknown hypercall numbers (through the
 * hypercall page and by raw syscall), unknown sub-ops of each multiplexed
 * hypercall, and guest pointers that are unmapped, inside the hypervisor's
 * range or non-canonical.  Every expected value was read from Xen 4.17.
 */
#include "guest.h"
#include <xen/features.h>

const char test_title[] = "hypercall_basics: xen_version, console_io, unknown ops, bad pointers";

#define UNMAPPED    ((void *)0x10)                  /* page 0 is not mapped */
#define IN_XEN      ((void *)0xffff830000000000ULL) /* Xen's direct map */
#define NONCANON    ((void *)0x8000000000000000ULL)

static bool memchr_nul(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i])
            return true;
    return false;
}

static bool strstr_simple(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncmp(hay, needle, n))
            return true;
    return false;
}

static void version_queries(void)
{
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);
    check(v >= 0 && (v >> 16) >= 4, "xen_version.version",
          "%ld.%ld (%#lx)", v >> 16, v & 0xffff, v);
    long raw = HYPERCALL_RAW(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0, 0);
    CHECK_EQ("xen_version.raw_syscall_same", raw, v);

    xen_extraversion_t extra;
    memset(extra, 0x7f, sizeof(extra));
    long rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
    bool terminated = memchr_nul(extra, sizeof(extra));
    check(rc == 0 && terminated && extra[0] == '.', "xen_version.extraversion",
          "rc %ld \"%.16s\"", rc, terminated ? extra : "(not terminated)");

    xen_capabilities_info_t caps;
    memset(caps, 0, sizeof(caps));
    rc = HYPERVISOR_xen_version(XENVER_capabilities, caps);
    check(rc == 0 && strstr_simple(caps, "xen-3.0-x86_64"), "xen_version.capabilities",
          "rc %ld \"%s\"", rc, caps);

    xen_platform_parameters_t pp = { .virt_start = 1 };
    rc = HYPERVISOR_xen_version(XENVER_platform_parameters, &pp);
    check(rc == 0 && pp.virt_start == HYPERVISOR_VIRT_START, "xen_version.platform_parameters",
          "rc %ld virt_start %#lx", rc, (u64)pp.virt_start);

    xen_feature_info_t fi = { .submap_idx = 0, .submap = 0xdeadbeef };
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    u32 m = fi.submap;
    check(rc == 0, "xen_version.get_features", "rc %ld submap %#x", rc, m);
    check(!(m & (1u << XENFEAT_auto_translated_physmap)) &&
          !(m & (1u << XENFEAT_writable_page_tables)) &&
          !(m & (1u << XENFEAT_supervisor_mode_kernel)), "features.pv_bits_clear",
          "submap %#x: auto_translated, writable_page_tables, supervisor_mode_kernel clear", m);
    /* Xen 4.17's set for a 64-bit PV guest: mmu_pt_update_preserve_ad,
     * highmem_assist, gnttab_map_avail_bits, memory_op_vnode_supported,
     * direct_mapped, plus dom0 for the hardware domain. */
    u32 want = (1u << XENFEAT_mmu_pt_update_preserve_ad) | (1u << XENFEAT_highmem_assist) |
               (1u << XENFEAT_gnttab_map_avail_bits) | (1u << XENFEAT_memory_op_vnode_supported) |
               (1u << XENFEAT_direct_mapped) | (pv_is_dom0 ? 1u << XENFEAT_dom0 : 0);
    check(m == want, "features.exact_set", "submap %#x, expected %#x", m, want);
    check(!!(m & (1u << XENFEAT_dom0)) == pv_is_dom0, "features.dom0_iff_initdomain",
          "XENFEAT_dom0 %d, SIF_INITDOMAIN %d", !!(m & (1u << XENFEAT_dom0)), pv_is_dom0);
    /* pae_pgdir_above_4gb appears once the guest enables the pae_extended_cr3 assist. */
    rc = HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3);
    fi.submap_idx = 0;
    long rc2 = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    check(rc == 0 && rc2 == 0 && fi.submap == (want | (1u << XENFEAT_pae_pgdir_above_4gb)),
          "features.pae_after_vm_assist", "vm_assist rc %ld, get_features rc %ld submap %#x",
          rc, rc2, fi.submap);
    /* Only submap 0 exists: any other index is refused with -EINVAL. */
    fi.submap_idx = 1;
    fi.submap = 0xdeadbeef;
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    check(rc == -XEN_EINVAL && fi.submap == 0xdeadbeef, "features.submap1_einval",
          "rc %ld submap %#x", rc, fi.submap);
    fi.submap_idx = 0x80000000;
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    check(rc == -XEN_EINVAL, "features.submap_huge_einval", "rc %ld", rc);

    CHECK_EQ("xen_version.pagesize", HYPERVISOR_xen_version(XENVER_pagesize, NULL), 4096);
}

static void console(void)
{
    static const char msg[] = "console_io: one line written directly\n";
    long rc = HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);
    CHECK_EQ("console_io.write", rc, 0);
    /* A write of many of the hypervisor's chunks (and, on a busy CPU, a
     * continuation or more): 32 lines of 64 bytes, all of them written. */
    static char big[32 * 64 + 1];          /* + snprintf's last NUL */
    for (unsigned i = 0; i < 32; i++)
        snprintf(big + i * 64, 65, "console_io: long write, line %02u of 32%*s\n", i + 1, 26, "");
    CHECK_EQ("console_io.write_long", HYPERVISOR_console_io(CONSOLEIO_write, 32 * 64, big), 0);
    CHECK_EQ("console_io.write_empty", HYPERVISOR_console_io(CONSOLEIO_write, 0, NULL), 0);
    CHECK_EQ("console_io.unknown_cmd", HYPERVISOR_console_io(99, 0, NULL), -XEN_ENOSYS);
}

static void unknown_numbers(void)
{
    /* 43-47 and 56-62 are unused in Xen 4.17 (63, also unused there, is
     * Tern's tern_op: abi/tern.h). */
    CHECK_EQ("unknown.page_43", HYPERCALL(43, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("unknown.page_62", HYPERCALL(62, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("unknown.raw_64", HYPERCALL_RAW(64, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("unknown.raw_1000", HYPERCALL_RAW(1000, 0, 0, 0, 0, 0), -XEN_ENOSYS);
    CHECK_EQ("unknown.raw_huge", HYPERCALL_RAW(0x100000011ULL, 0, 0, 0, 0, 0), -XEN_ENOSYS);
}

static void unknown_subops(void)
{
    u64 buf[16] = { 0 };
    CHECK_EQ("subop.xen_version", HYPERVISOR_xen_version(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.sched_op", HYPERVISOR_sched_op(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.event_channel_op", HYPERVISOR_event_channel_op(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.memory_op", HYPERVISOR_memory_op(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.vcpu_op", HYPERVISOR_vcpu_op(1000, 0, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.grant_table_op", HYPERVISOR_grant_table_op(1000, buf, 1), -XEN_ENOSYS);
    CHECK_EQ("subop.callback_op", HYPERVISOR_callback_op(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.physdev_op", HYPERVISOR_physdev_op(1000, buf), -XEN_ENOSYS);
    CHECK_EQ("subop.vm_assist", HYPERVISOR_vm_assist(1000, 0), -XEN_ENOSYS);
    struct mmuext_op op = { .cmd = 1000 };
    unsigned done = 0;
    CHECK_EQ("subop.mmuext_op", HYPERVISOR_mmuext_op(&op, 1, &done, DOMID_SELF), -XEN_ENOSYS);
    CHECK_EQ("vcpu_op.is_up_0", HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, NULL), 1);
    CHECK_EQ("vcpu_op.is_up_missing_vcpu", HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), -XEN_ENOENT);
}

static void bad_pointers(void)
{
    static void *const ptrs[] = { UNMAPPED, IN_XEN, NONCANON };
    static const char *const what[] = { "unmapped", "xen_range", "noncanonical" };
    char name[64];
    for (unsigned i = 0; i < ARRAY_SIZE(ptrs); i++) {
        void *p = ptrs[i];
        snprintf(name, sizeof(name), "efault.extraversion_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_xen_version(XENVER_extraversion, p), -XEN_EFAULT);
        snprintf(name, sizeof(name), "efault.get_features_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_xen_version(XENVER_get_features, p), -XEN_EFAULT);
        snprintf(name, sizeof(name), "efault.console_write_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_console_io(CONSOLEIO_write, 16, p), -XEN_EFAULT);
        snprintf(name, sizeof(name), "efault.evtchn_send_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_event_channel_op(EVTCHNOP_send, p), -XEN_EFAULT);
        snprintf(name, sizeof(name), "efault.sched_shutdown_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_sched_op(SCHEDOP_shutdown, p), -XEN_EFAULT);
        snprintf(name, sizeof(name), "efault.set_trap_table_%s", what[i]);
        CHECK_EQ(name, HYPERVISOR_set_trap_table(p), -XEN_EFAULT);
    }
}

void test_main(void)
{
    if (!platform_is_pv) {
        test_skip("no hypercalls natively");
        return;
    }
    version_queries();
    console();
    unknown_numbers();
    unknown_subops();
    bad_pointers();
}
