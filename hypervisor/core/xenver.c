/*
 * xenver.c - xen_version and vm_assist: what the hypervisor says about
 * itself.  Tern implements Xen 4.17's PV ABI and reports that version; the
 * feature bits are those Xen gives a 64-bit PV domain (XENFEAT_dom0 for the
 * initial domain).  Sub-ops Xen keeps from unprivileged domains answer as
 * Xen's default policy does.
 */
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "layout.h"

#define TERN_EXTRAVERSION   ".0-tern"
#define DENY                "<denied>"

static long copy_string(u64 arg, const char *s, size_t size)
{
    char buf[1024];
    if (size > sizeof(buf))
        size = sizeof(buf);
    memset(buf, 0, size);
    strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size) ? -EFAULT : 0;
}

static u32 feature_bits(const struct domain *d)
{
    u32 f = (1u << XENFEAT_memory_op_vnode_supported) |
            (1u << XENFEAT_mmu_pt_update_preserve_ad) |
            (1u << XENFEAT_highmem_assist) |
            (1u << XENFEAT_gnttab_map_avail_bits) |
            (1u << XENFEAT_direct_mapped);
    if (d->arch.vm_assist & (1u << VMASST_TYPE_pae_extended_cr3))
        f |= 1u << XENFEAT_pae_pgdir_above_4gb;
    if (d->is_privileged)
        f |= 1u << XENFEAT_dom0;
    return f;
}

long do_xen_version(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct domain *d = current->domain;

    switch ((int)cmd) {
    case XENVER_version:
        return (TERN_XEN_MAJOR << 16) | TERN_XEN_MINOR;
    case XENVER_extraversion:
        return copy_string(arg, TERN_EXTRAVERSION, sizeof(xen_extraversion_t));
    case XENVER_compile_info: {
        xen_compile_info_t ci;
        memset(&ci, 0, sizeof(ci));
        strlcpy(ci.compiler, "gcc", sizeof(ci.compiler));
        strlcpy(ci.compile_by, "tern", sizeof(ci.compile_by));
        strlcpy(ci.compile_domain, "tern", sizeof(ci.compile_domain));
        strlcpy(ci.compile_date, __DATE__, sizeof(ci.compile_date));
        return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
    }
    case XENVER_capabilities:
        return copy_string(arg, "xen-3.0-x86_64", sizeof(xen_capabilities_info_t));
    case XENVER_changeset:
        return copy_string(arg, "tern", sizeof(xen_changeset_info_t));
    case XENVER_platform_parameters: {
        xen_platform_parameters_t p = { .virt_start = M2P_RO_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        xen_feature_info_t fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        if (fi.submap_idx != 0)
            return -EINVAL;
        fi.submap = feature_bits(d);
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_pagesize:
        return arg ? -EINVAL : (long)PAGE_SIZE;
    case XENVER_guest_handle: {
        xen_domain_handle_t h;
        memset(h, 0, sizeof(h));
        h[15] = (u8)d->domain_id;
        return copy_to_guest(arg, h, sizeof(h)) ? -EFAULT : 0;
    }
    case XENVER_commandline:
        return copy_string(arg, d->is_privileged ? "" : DENY, sizeof(xen_commandline_t));
    case XENVER_build_id:
        return d->is_privileged ? -ENODATA : -EPERM;
    }
    return -ENOSYS;
}

#define VMASST_VALID ((1u << VMASST_TYPE_4gb_segments) | (1u << VMASST_TYPE_4gb_segments_notify) | \
                      (1u << VMASST_TYPE_writable_pagetables) | (1u << VMASST_TYPE_pae_extended_cr3) | \
                      (1u << VMASST_TYPE_architectural_iopl) | \
                      (1u << VMASST_TYPE_runstate_update_flag) | (1ull << VMASST_TYPE_m2p_strict))

long do_vm_assist(u64 cmd, u64 type, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct domain *d = current->domain;
    if (type >= 64 || !((VMASST_VALID >> type) & 1))
        return -EINVAL;
    switch ((u32)cmd) {
    case VMASST_CMD_enable:
        __atomic_fetch_or(&d->arch.vm_assist, 1ull << type, __ATOMIC_SEQ_CST);
        return 0;
    case VMASST_CMD_disable:
        __atomic_fetch_and(&d->arch.vm_assist, ~(1ull << type), __ATOMIC_SEQ_CST);
        return 0;
    }
    return -ENOSYS;
}
