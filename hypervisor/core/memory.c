/*
 * memory.c - memory_op: what a PV domain may learn about memory.
 *
 * XENMEM_memory_map gives one RAM range of the domain's pages (no holes, so
 * Linux neither remaps nor releases anything), machphys_mapping says where
 * the read-only machine-to-phys table is, and the reservation queries give
 * the domain's page counts.  Ballooning (increase/decrease_reservation,
 * populate_physmap, exchange) is not offered: -ENOSYS.
 */
#include "domain.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "layout.h"
#include "page.h"

#define E820_RAM 1

struct e820entry {
    u64 addr, size;
    u32 type;
} __packed;

static struct domain *target_domain(u64 arg, long *err)
{
    domid_t id;
    if (copy_from_guest(&id, arg, sizeof(id))) {
        *err = -EFAULT;
        return NULL;
    }
    struct domain *cur = current->domain;
    if (id == DOMID_SELF || id == cur->domain_id) {
        get_domain(cur);
        return cur;
    }
    if (!cur->is_privileged) {
        *err = -EPERM;
        return NULL;
    }
    struct domain *d = get_domain_by_id(id);
    if (!d)
        *err = -ESRCH;
    return d;
}

long do_memory_op(u64 cmd, u64 arg, u64 a3, u64 a4, u64 a5)
{
    (void)a3; (void)a4; (void)a5;
    struct domain *d = current->domain;
    long err = 0;

    switch ((int)(cmd & MEMOP_CMD_MASK)) {
    case XENMEM_maximum_ram_page:
        return (long)(frame_table_size - 1);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation: {
        struct domain *t = target_domain(arg, &err);
        if (!t)
            return err;
        long n = (long)((cmd & MEMOP_CMD_MASK) == XENMEM_current_reservation ? t->tot_pages
                                                                           : t->max_pages);
        put_domain(t);
        return n;
    }
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping m = {
            .v_start = M2P_RO_VIRT_START,
            .v_end = M2P_RO_VIRT_START + m2p_entries * sizeof(u64),
            .max_mfn = m2p_entries - 1,
        };
        return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
    }
    case XENMEM_memory_map: {
        struct xen_memory_map map;
        if (copy_from_guest(&map, arg, sizeof(map)))
            return -EFAULT;
        struct e820entry e = { 0, d->tot_pages << PAGE_SHIFT, E820_RAM };
        if (map.nr_entries < 1)
            return -EINVAL;
        if (copy_to_guest((u64)(uintptr_t)map.buffer.p, &e, sizeof(e)))
            return -EFAULT;
        map.nr_entries = 1;
        return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
    }
    case XENMEM_get_vnumainfo:
        return -EOPNOTSUPP;             /* no virtual NUMA topology */
    }
    return -ENOSYS;
}
