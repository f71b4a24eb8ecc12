/*
 * ternop.c - Tern's own hypercall, tern_op (abi/tern.h), from a guest.
 *
 * Hypercall 63 is unused in Xen 4.17, which answers -ENOSYS: a guest tells
 * Tern from Xen by asking (tern_present), and skips Tern-only checks on Xen.
 * Natively the hypercall page's stubs answer -ENOSYS as well.
 */
#include "guest.h"

long tern_op(unsigned cmd, void *arg)
{
    return HYPERCALL(__HYPERVISOR_tern_op, cmd, arg, 0, 0, 0);
}

bool tern_present(void)
{
    if (!platform_is_pv)
        return false;
    struct tern_counters c;
    return tern_op(TERNOP_get_counters, &c) != -XEN_ENOSYS;
}

long tern_audit(void)
{
    return tern_op(TERNOP_audit, NULL);
}
